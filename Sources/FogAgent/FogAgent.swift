// The agent (microservice supervisor, local bus) and the link half it spawns.
// Arrives with issue 5 (see docs/ARCHITECTURE.md); this module is its named place.
