#include "CMosquittoBroker.h"

/* The plugin is written against plugin API v5 (Mosquitto 2.0). */
_Static_assert(MOSQ_PLUGIN_VERSION == 5, "ComSat plugin expects Mosquitto plugin API v5");
