#!/usr/bin/python3
"""A FogFabric microservice: prints every temperature reading that reaches its input topic.

Uses only the environment the agent gives every microservice: FOG_BUS_HOST, FOG_BUS_PORT,
FOG_BUS_USERNAME, FOG_BUS_PASSWORD and FOG_IN_TOPIC. Its output (stdout) is what
`tools/quickstart` shows live. A persistent session (clean_session False) keeps readings
that arrive while it restarts.
"""
import json
import os
import sys
import time

import paho.mqtt.client as mqtt


def on_connect(client, userdata, flags, rc):
    if rc != 0:
        print(f"bus refused the connection: {mqtt.connack_string(rc)}", file=sys.stderr, flush=True)
        return
    client.subscribe(os.environ["FOG_IN_TOPIC"], qos=1)


def on_message(client, userdata, message):
    try:
        reading = json.loads(message.payload)
        delay_ms = (time.time() - float(reading["at"])) * 1000
        print(
            f"reading #{reading['seq']} from {reading['site']}: {reading['celsius']:.2f} °C "
            f"({delay_ms:.0f} ms after it was taken)",
            flush=True,
        )
    except (ValueError, KeyError, TypeError):
        print(f"unreadable message of {len(message.payload)} bytes", file=sys.stderr, flush=True)


def main() -> int:
    client = mqtt.Client(client_id=os.environ["FOG_BUS_USERNAME"], clean_session=False)
    client.username_pw_set(os.environ["FOG_BUS_USERNAME"], os.environ["FOG_BUS_PASSWORD"])
    client.on_connect = on_connect
    client.on_message = on_message
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    client.connect(os.environ["FOG_BUS_HOST"], int(os.environ["FOG_BUS_PORT"]), keepalive=30)
    client.loop_forever(retry_first_connection=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
