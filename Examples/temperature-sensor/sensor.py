#!/usr/bin/python3
"""A FogFabric microservice: publishes a temperature reading every interval.

It knows nothing of FogFabric beyond the environment the agent gives every microservice:
FOG_BUS_HOST, FOG_BUS_PORT, FOG_BUS_USERNAME, FOG_BUS_PASSWORD, FOG_OUT_TOPIC and
FOG_CONFIG (JSON, optional: {"interval": seconds, "count": readings, "site": "name"}).
Any MQTT client works the same way; this one uses paho-mqtt.
"""
import json
import math
import os
import random
import sys
import time

import paho.mqtt.client as mqtt


def main() -> int:
    config = json.loads(os.environ.get("FOG_CONFIG") or "{}")
    interval = float(config.get("interval", 1.0))
    count = int(config.get("count", 0))  # 0: forever
    site = str(config.get("site", "site-a"))
    topic = os.environ["FOG_OUT_TOPIC"]

    client = mqtt.Client(client_id=os.environ["FOG_BUS_USERNAME"], clean_session=False)
    client.username_pw_set(os.environ["FOG_BUS_USERNAME"], os.environ["FOG_BUS_PASSWORD"])
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    client.connect(os.environ["FOG_BUS_HOST"], int(os.environ["FOG_BUS_PORT"]), keepalive=30)
    client.loop_start()

    sequence = 0
    # A slow daily-like wave plus noise, so the display shows something alive.
    base = 18.0 + random.uniform(-2, 2)
    while count == 0 or sequence < count:
        sequence += 1
        celsius = base + 3.0 * math.sin(sequence / 30.0) + random.uniform(-0.2, 0.2)
        reading = {"seq": sequence, "site": site, "celsius": round(celsius, 2), "at": time.time()}
        # QoS 1: the local bus holds it until the link half has taken it.
        client.publish(topic, json.dumps(reading, separators=(",", ":")), qos=1).wait_for_publish()
        print(f"sent #{sequence}: {reading['celsius']} °C", flush=True)
        time.sleep(interval)
    client.loop_stop()
    client.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
