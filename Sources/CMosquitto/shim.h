#ifndef FOGFABRIC_CMOSQUITTO_SHIM_H
#define FOGFABRIC_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#ifdef __linux__
/* MQTTSwarm (FogMQTT/Swarm) drives thousands of libmosquitto sockets with epoll. */
#include <sys/epoll.h>
#endif
#endif
