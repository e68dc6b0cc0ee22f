#ifndef FOGFABRIC_CMOSQUITTOBROKER_H
#define FOGFABRIC_CMOSQUITTOBROKER_H
/*
 * Headers for the ComSat plugin. Nothing here is linked: the broker that dlopen()s the
 * plugin exports every mosquitto_* symbol the plugin calls.
 *
 * Every broker function the plugin uses is reached through a CMosquittoBroker_* wrapper
 * below and declared weak. Weak undefined references let the plugin's module also link
 * into the unit-test executable (where no broker exists and a strong undefined symbol is a
 * link error); inside the broker the dynamic linker binds them to the broker's exports at
 * dlopen(). A wrapper whose symbol is unbound does nothing and reports MOSQ_ERR_NOT_SUPPORTED,
 * so a unit test that reaches one by accident cannot crash.
 *
 * Swift must call only these wrappers, never a mosquitto_* function directly: a direct call
 * would be a strong reference again.
 */
#include <stdbool.h>
#include <stdint.h>
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <mqtt_protocol.h>

#pragma weak mosquitto_log_printf
#pragma weak mosquitto_callback_register
#pragma weak mosquitto_callback_unregister
#pragma weak mosquitto_client_id
#pragma weak mosquitto_client_username
#pragma weak mosquitto_client_clean_session
#pragma weak mosquitto_kick_client_by_clientid
#pragma weak mosquitto_broker_publish_copy

/* True when the broker's API is bound, i.e. the code runs inside a broker. */
static inline bool CMosquittoBroker_isAvailable(void) {
    return mosquitto_log_printf != NULL && mosquitto_callback_register != NULL
        && mosquitto_callback_unregister != NULL && mosquitto_client_id != NULL
        && mosquitto_client_username != NULL && mosquitto_client_clean_session != NULL
        && mosquitto_kick_client_by_clientid != NULL && mosquitto_broker_publish_copy != NULL;
}

/* mosquitto_log_printf is variadic, which Swift cannot call: log a preformatted line. */
static inline void CMosquittoBroker_log(int level, const char *line) {
    if (mosquitto_log_printf == NULL) return;
    mosquitto_log_printf(level, "%s", line);
}

/* Logs "comsat: <event> (client <alias>)" for the auth and disconnect paths. Never given an address. */
static inline void CMosquittoBroker_logClientEvent(int level, const char *event, const char *client_alias) {
    if (mosquitto_log_printf == NULL) return;
    mosquitto_log_printf(level, "comsat: %s (client %s)", event, client_alias != NULL ? client_alias : "-");
}

static inline int CMosquittoBroker_registerCallback(
        mosquitto_plugin_id_t *identifier, int event, MOSQ_FUNC_generic_callback callback,
        const void *event_data, void *userdata) {
    if (mosquitto_callback_register == NULL) return MOSQ_ERR_NOT_SUPPORTED;
    return mosquitto_callback_register(identifier, event, callback, event_data, userdata);
}

static inline int CMosquittoBroker_unregisterCallback(
        mosquitto_plugin_id_t *identifier, int event, MOSQ_FUNC_generic_callback callback,
        const void *event_data) {
    if (mosquitto_callback_unregister == NULL) return MOSQ_ERR_NOT_SUPPORTED;
    return mosquitto_callback_unregister(identifier, event, callback, event_data);
}

static inline const char *CMosquittoBroker_clientID(const struct mosquitto *client) {
    if (mosquitto_client_id == NULL || client == NULL) return NULL;
    return mosquitto_client_id(client);
}

static inline const char *CMosquittoBroker_clientUsername(const struct mosquitto *client) {
    if (mosquitto_client_username == NULL || client == NULL) return NULL;
    return mosquitto_client_username(client);
}

/* The CONNECT's clean-start (v5) / clean-session (v3.1.1) flag; false when unknown. */
static inline bool CMosquittoBroker_clientCleanStart(const struct mosquitto *client) {
    if (mosquitto_client_clean_session == NULL || client == NULL) return false;
    return mosquitto_client_clean_session(client);
}

/* Disconnects the client with this id (without its will); MOSQ_ERR_NOT_FOUND when offline. */
static inline int CMosquittoBroker_kickClient(const char *client_id) {
    if (mosquitto_kick_client_by_clientid == NULL) return MOSQ_ERR_NOT_SUPPORTED;
    if (client_id == NULL) return MOSQ_ERR_INVAL; /* NULL would kick every client */
    return mosquitto_kick_client_by_clientid(client_id, false);
}

/* Queues a copy of the payload for one client only (not routed through subscriptions). */
static inline int CMosquittoBroker_publishToClient(
        const char *client_id, const char *topic, const void *payload, int payload_length, int qos) {
    if (mosquitto_broker_publish_copy == NULL) return MOSQ_ERR_NOT_SUPPORTED;
    if (client_id == NULL) return MOSQ_ERR_INVAL; /* NULL would broadcast */
    return mosquitto_broker_publish_copy(client_id, topic, payload_length, payload, qos, false, NULL);
}
#endif
