#ifndef FOGFABRIC_CMOSQUITTO_SHIM_H
#define FOGFABRIC_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#endif
