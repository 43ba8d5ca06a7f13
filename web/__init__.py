"""The web map: folium/Leaflet page builders, templates and static assets (no web framework)."""
