import Foundation

/// The two microservices of the end-to-end tests, as paho-mqtt scripts the agents run from
/// the environment every microservice gets (`FOG_BUS_*`, `FOG_OUT_TOPIC`/`FOG_IN_TOPIC`,
/// `FOG_CONFIG`).
///
/// The producer publishes `count` readings `{"seq":N,"marker":M}` at `rate` per second once
/// it is connected and the `gate` file exists, so the test decides when the stream starts
/// (and, with `holdAt: [N, ...]`, pauses after reading N until the file `gate.K` exists for
/// the K-th hold, so a test can run phases);
/// it records how many the bus acknowledged in `progress` and then idles, so a supervisor
/// restart after the run cannot replay anything. The consumer appends each payload it
/// receives as one line to `out` (paho acknowledges after the callback returned) and
/// creates `ready` once its subscription is granted.
public enum FabricMicroservices {
    /// paho ships with Debian (`python3-paho-mqtt`); a pyenv `python3` on PATH lacks it.
    public static let python = "/usr/bin/python3"

    static let producer = """
        import json, os, signal, sys, threading, time
        import paho.mqtt.client as mqtt

        config = json.loads(os.environ["FOG_CONFIG"])
        count, rate, marker = int(config["count"]), float(config["rate"]), config["marker"]
        topic = os.environ["FOG_OUT_TOPIC"]
        connected = threading.Event()
        acknowledged = [0]

        def on_connect(client, userdata, flags, rc):
            if rc == 0:
                connected.set()

        def on_publish(client, userdata, mid):
            acknowledged[0] += 1

        def record(done):
            with open(config["progress"] + ".tmp", "w") as f:
                f.write(str(done))
            os.replace(config["progress"] + ".tmp", config["progress"])

        client = mqtt.Client(client_id=os.environ["FOG_BUS_USERNAME"], clean_session=True)
        client.username_pw_set(os.environ["FOG_BUS_USERNAME"], os.environ["FOG_BUS_PASSWORD"])
        client.on_connect = on_connect
        client.on_publish = on_publish
        client.max_inflight_messages_set(200)
        client.reconnect_delay_set(min_delay=0.1, max_delay=1)
        client.connect_async(os.environ["FOG_BUS_HOST"], int(os.environ["FOG_BUS_PORT"]), keepalive=30)
        client.loop_start()
        # paho keeps QoS 1 messages published while disconnected and sends them on reconnect;
        # waiting for the first connection only keeps the stream from starting into a refusal.
        while not (connected.is_set() and os.path.exists(config["gate"])):
            time.sleep(0.02)
        holds = [int(n) for n in config.get("holdAt", [])]
        start, first = time.monotonic(), 1
        for seq in range(1, count + 1):
            if seq - 1 in holds:
                record(acknowledged[0])
                gate = config["gate"] + "." + str(holds.index(seq - 1) + 1)
                while not os.path.exists(gate):
                    time.sleep(0.02)
                start, first = time.monotonic(), seq
            delay = start + (seq - first) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            payload = json.dumps({"seq": seq, "marker": marker}, separators=(",", ":"))
            client.publish(topic, payload, qos=1)
            if seq % 100 == 0:
                record(acknowledged[0])
        while acknowledged[0] < count:
            time.sleep(0.02)
        record(count)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            signal.pause()
        """

    static let consumer = """
        import json, os, signal, sys
        import paho.mqtt.client as mqtt

        config = json.loads(os.environ["FOG_CONFIG"])
        out = open(config["out"], "a", buffering=1)

        def on_connect(client, userdata, flags, rc):
            if rc == 0:
                client.subscribe(os.environ["FOG_IN_TOPIC"], qos=1)

        def on_subscribe(client, userdata, mid, granted):
            open(config["ready"], "w").close()

        def on_message(client, userdata, message):
            out.write(message.payload.decode() + "\\n")

        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        client = mqtt.Client(client_id=os.environ["FOG_BUS_USERNAME"], clean_session=False)
        client.username_pw_set(os.environ["FOG_BUS_USERNAME"], os.environ["FOG_BUS_PASSWORD"])
        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        client.on_message = on_message
        client.connect(os.environ["FOG_BUS_HOST"], int(os.environ["FOG_BUS_PORT"]), keepalive=30)
        client.loop_forever(retry_first_connection=True)
        """

    /// Writes both scripts into `directory`; returns their paths.
    public static func write(to directory: String) throws -> (producer: String, consumer: String) {
        let producerPath = directory + "/producer.py"
        let consumerPath = directory + "/consumer.py"
        try producer.write(toFile: producerPath, atomically: true, encoding: .utf8)
        try consumer.write(toFile: consumerPath, atomically: true, encoding: .utf8)
        return (producerPath, consumerPath)
    }
}
