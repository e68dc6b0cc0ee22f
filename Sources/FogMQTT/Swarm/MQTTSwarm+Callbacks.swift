internal import CMosquitto
import Glibc

// libmosquitto calls these on the swarm's thread, from inside `mosquitto_loop_read`,
// `mosquitto_loop_write`, `mosquitto_loop_misc` or `mosquitto_disconnect_v5`. The C
// function pointers capture nothing: each recovers its connection from the userdata
// `add` registered (unretained: the swarm's `connections` array owns it and outlives the
// client handle).
extension MQTTSwarm {
    func installCallbacks(on handle: OpaquePointer) {
        mosquitto_connect_v5_callback_set(handle) { _, userdata, reasonCode, _, _ in
            guard let connection = MQTTSwarm.connection(from: userdata) else { return }
            connection.swarm.connectionAnswered(connection, reasonCode: reasonCode)
        }
        mosquitto_disconnect_v5_callback_set(handle) { _, userdata, result, _ in
            guard let connection = MQTTSwarm.connection(from: userdata) else { return }
            connection.swarm.connectionClosed(connection, result: result)
        }
        mosquitto_publish_v5_callback_set(handle) { _, userdata, messageID, reasonCode, _ in
            guard let connection = MQTTSwarm.connection(from: userdata) else { return }
            let swarm = connection.swarm
            swarm.activeHandler?.swarm(swarm, publishCompleted: messageID, reasonCode: UInt8(truncatingIfNeeded: reasonCode), on: connection.id)
        }
        mosquitto_message_v5_callback_set(handle) { _, userdata, message, _ in
            guard let connection = MQTTSwarm.connection(from: userdata), let message else { return }
            let swarm = connection.swarm
            guard let handler = swarm.activeHandler else { return }
            let payload = UnsafeRawBufferPointer(start: message.pointee.payload, count: Int(max(0, message.pointee.payloadlen)))
            let topic: UnsafeRawBufferPointer
            if let name = message.pointee.topic {
                topic = UnsafeRawBufferPointer(start: name, count: strlen(name))
            } else {
                topic = UnsafeRawBufferPointer(start: nil, count: 0)
            }
            handler.swarm(swarm, received: payload, topic: topic, on: connection.id)
        }
        mosquitto_subscribe_v5_callback_set(handle) { _, userdata, messageID, count, granted, _ in
            guard let connection = MQTTSwarm.connection(from: userdata) else { return }
            var refusal: UInt8?
            if let granted {
                for position in 0..<Int(max(0, count)) where granted[position] >= 0x80 {
                    refusal = UInt8(truncatingIfNeeded: granted[position])
                    break
                }
            }
            connection.swarm.subscriptionAnswered(connection, messageID: messageID, refusal: refusal)
        }
    }

    private static func connection(from userdata: UnsafeMutableRawPointer?) -> MQTTSwarmConnection? {
        guard let userdata else { return nil }
        return Unmanaged<MQTTSwarmConnection>.fromOpaque(userdata).takeUnretainedValue()
    }

    private func connectionAnswered(_ connection: MQTTSwarmConnection, reasonCode: Int32) {
        guard connection.state == .connecting else { return }
        connectingCount -= 1
        if reasonCode == 0 {
            connection.state = .connected
            connectedCount += 1
            activeHandler?.swarm(self, connected: connection.id)
            return
        }
        // libmosquitto closes the socket right after this callback; the disconnect
        // callback then finds the connection closed and only forgets the socket.
        connection.state = .closed
        let code = UInt8(truncatingIfNeeded: reasonCode)
        let error = MQTTSwarmError(
            .connectionRefused,
            "client '\(connection.options.clientID)' refused by \(connection.options.host):\(connection.options.port): "
                + String(cString: mosquitto_reason_string(reasonCode)),
            reasonCode: code
        )
        recordConnectFailure(error)
        activeHandler?.swarm(self, disconnected: connection.id, error: error)
    }

    private func connectionClosed(_ connection: MQTTSwarmConnection, result: Int32) {
        connection.socket = -1
        connection.watchingWrite = false
        let previous = connection.state
        connection.state = .closed
        switch previous {
        case .idle, .closed:
            return
        case .connecting:
            connectingCount -= 1
            let error = MQTTSwarm.failure(
                result, .connectionLost,
                "client '\(connection.options.clientID)' closed before CONNACK from \(connection.options.host):\(connection.options.port)"
            )
            recordConnectFailure(error)
            activeHandler?.swarm(self, disconnected: connection.id, error: error)
        case .connected:
            connectedCount -= 1
            unexpectedDisconnects += 1
            let error = MQTTSwarm.failure(result, .connectionLost, "client '\(connection.options.clientID)' lost its connection")
            activeHandler?.swarm(self, disconnected: connection.id, error: error)
        case .disconnecting:
            connectedCount -= 1
            activeHandler?.swarm(self, disconnected: connection.id, error: nil)
        }
    }

    private func subscriptionAnswered(_ connection: MQTTSwarmConnection, messageID: Int32, refusal: UInt8?) {
        let key = SubscriptionKey(connection: connection.id.index, messageID: messageID)
        guard let topic = subscriptionTopics.removeValue(forKey: key) else { return }
        pendingSubscriptions -= 1
        guard let refusal else { return }
        subscriptionFailureCount += 1
        if firstSubscriptionFailure == nil {
            firstSubscriptionFailure = MQTTSwarmError(
                .subscriptionRefused,
                "client '\(connection.options.clientID)' refused subscription to '\(topic)': "
                    + String(cString: mosquitto_reason_string(Int32(refusal))),
                reasonCode: refusal
            )
        }
    }

    private func recordConnectFailure(_ error: MQTTSwarmError) {
        connectFailureCount += 1
        if firstConnectFailure == nil {
            firstConnectFailure = error
        }
    }
}
