/* gisaudit: a small Mapbox Vector Tile (MVT 2.x) decoder, no dependencies.
 *
 * gisauditMVT.decode(arrayBuffer) -> {layerName: {name, extent, features: [
 *   {id, type (1 point, 2 line, 3 polygon), properties: {...}, rings: [[[x, y], ...], ...]}]}}
 * Coordinates are tile units (0..extent, y down). Rings are the MoveTo/LineTo runs of the
 * geometry: the parts of a line, or the (outer and inner) rings of a polygon.
 */
(function () {
  "use strict";

  function Reader(bytes, start, end) {
    this.buf = bytes;
    this.pos = start || 0;
    this.end = end === undefined ? bytes.length : end;
  }
  Reader.prototype.varint = function () {
    var buf = this.buf, result = 0, shift = 1, b;
    do {
      if (this.pos >= this.end) { throw new Error("MVT: truncated varint"); }
      b = buf[this.pos++];
      result += (b & 0x7f) * shift;  // multiply, not shift: values can exceed 32 bits
      shift *= 128;
    } while (b >= 0x80);
    return result;
  };
  Reader.prototype.int64 = function () {  // two's complement: negatives take 10 bytes
    var result = BigInt(0), shift = BigInt(0), b;
    do {
      if (this.pos >= this.end) { throw new Error("MVT: truncated varint"); }
      b = this.buf[this.pos++];
      result += BigInt(b & 0x7f) << shift;
      shift += BigInt(7);
    } while (b >= 0x80);
    return Number(BigInt.asIntN(64, result));
  };
  Reader.prototype.skip = function (wire) {
    if (wire === 0) { this.varint(); }
    else if (wire === 1) { this.pos += 8; }
    else if (wire === 2) { this.pos += this.varint(); }
    else if (wire === 5) { this.pos += 4; }
    else { throw new Error("MVT: unknown wire type " + wire); }
  };
  Reader.prototype.sub = function () {
    var len = this.varint(), r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  };
  Reader.prototype.string = function () {
    var r = this.sub();
    return new TextDecoder("utf-8").decode(this.buf.subarray(r.pos, r.end));
  };
  Reader.prototype.packed = function (wire, out) {  // packed or single uint32 values
    if (wire === 2) {
      var r = this.sub();
      while (r.pos < r.end) { out.push(r.varint()); }
    } else {
      out.push(this.varint());
    }
  };

  function zigzag(n) { return n % 2 === 1 ? -(n + 1) / 2 : n / 2; }

  function readValue(r) {
    var view = new DataView(r.buf.buffer, r.buf.byteOffset), value = null;
    while (r.pos < r.end) {
      var tag = r.varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (field === 1) { value = r.string(); }
      else if (field === 2) { value = view.getFloat32(r.pos, true); r.pos += 4; }
      else if (field === 3) { value = view.getFloat64(r.pos, true); r.pos += 8; }
      else if (field === 4) { value = r.int64(); }
      else if (field === 5) { value = r.varint(); }
      else if (field === 6) { value = zigzag(r.varint()); }
      else if (field === 7) { value = r.varint() !== 0; }
      else { r.skip(wire); }
    }
    return value;
  }

  function geometry(commands) {
    var rings = [], ring = null, x = 0, y = 0, i = 0;
    while (i < commands.length) {
      var c = commands[i++], id = c & 7, count = Math.floor(c / 8);
      if (id === 1 || id === 2) {
        for (var k = 0; k < count; k++) {
          x += zigzag(commands[i++]);
          y += zigzag(commands[i++]);
          if (id === 1) { ring = []; rings.push(ring); }
          ring.push([x, y]);
        }
      } else if (id === 7) {
        if (ring && ring.length) { ring.push([ring[0][0], ring[0][1]]); }
      } else {
        throw new Error("MVT: unknown geometry command " + id);
      }
    }
    return rings;
  }

  function readFeature(r, keys, values) {
    var f = {id: null, type: 0, properties: {}, rings: []}, tags = [], geom = [];
    while (r.pos < r.end) {
      var tag = r.varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (field === 1) { f.id = r.varint(); }
      else if (field === 2) { r.packed(wire, tags); }
      else if (field === 3) { f.type = r.varint(); }
      else if (field === 4) { r.packed(wire, geom); }
      else { r.skip(wire); }
    }
    for (var i = 0; i + 1 < tags.length; i += 2) {
      f.properties[keys[tags[i]]] = values[tags[i + 1]];
    }
    f.rings = geometry(geom);
    return f;
  }

  function readLayer(r) {
    var layer = {name: "", extent: 4096, features: []}, keys = [], values = [], raw = [];
    while (r.pos < r.end) {
      var tag = r.varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (field === 1) { layer.name = r.string(); }
      else if (field === 2) { raw.push(r.sub()); }
      else if (field === 3) { keys.push(r.string()); }
      else if (field === 4) { values.push(readValue(r.sub())); }
      else if (field === 5) { layer.extent = r.varint(); }
      else { r.skip(wire); }
    }
    layer.features = raw.map(function (fr) { return readFeature(fr, keys, values); });
    return layer;
  }

  function decode(buffer) {
    var bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
    var r = new Reader(bytes), layers = {};
    while (r.pos < r.end) {
      var tag = r.varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (field === 3 && wire === 2) {
        var layer = readLayer(r.sub());
        layers[layer.name] = layer;
      } else {
        r.skip(wire);
      }
    }
    return layers;
  }

  window.gisauditMVT = {decode: decode, zigzag: zigzag};
})();
