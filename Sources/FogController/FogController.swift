// The controller: provisioning, registries, link placement and grant sync over MQTT.
// Arrives with issue 4 (see docs/ARCHITECTURE.md); this module is its named place.
