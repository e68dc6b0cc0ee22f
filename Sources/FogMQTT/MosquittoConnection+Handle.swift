internal import CMosquitto
import Glibc

extension MosquittoConnection {
    /// Runs on `queue`: the handle, created and configured on first use. A failed set-up
    /// destroys the half-made handle so the next attempt starts over.
    func handleOnQueue() throws(MQTTError) -> OpaquePointer {
        if let handle = storage.pointer {
            return handle
        }
        let initialization = MosquittoLibrary.initialize()
        guard initialization == MosquittoLibrary.success else {
            throw MQTTError(.internalError, "libmosquitto failed to initialize", mosquittoCode: initialization)
        }
        let clientID = configuration.clientID.isEmpty ? nil : configuration.clientID
        // passUnretained: this object outlives the handle, which `closeOnQueue` destroys.
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        guard let handle = mosquitto_new(clientID, configuration.cleanStart, userdata) else {
            let code = errno
            throw MQTTError(
                code == EINVAL ? .invalidArgument : .internalError,
                "cannot create a libmosquitto client for \(identity): \(String(cString: strerror(code)))")
        }
        do {
            try configure(handle)
        } catch {
            mosquitto_destroy(handle)
            mosquitto_property_free_all(&storage.connectProperties)
            throw error
        }
        storage.pointer = handle
        return handle
    }

    private func configure(_ handle: OpaquePointer) throws(MQTTError) {
        try check(
            mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5), .internalError,
            "cannot select MQTT v5")
        try check(mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, 1), .internalError, "cannot set TCP_NODELAY")
        if let username = configuration.username {
            try check(
                mosquitto_username_pw_set(handle, username, configuration.password), .invalidArgument,
                "username rejected")
        }
        if let tls = configuration.tls {
            // Fails with MOSQ_ERR_INVAL when the CA file cannot be opened; certificate and
            // key are loaded (and checked) when connecting.
            try check(
                mosquitto_tls_set(handle, tls.caFile, nil, tls.certFile, tls.keyFile, nil), .tls,
                "cannot use TLS files (CA \(tls.caFile)\(tls.certFile.map { ", certificate \($0)" } ?? ""))")
        }
        if let will = configuration.will {
            let rc = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set_v5(
                    handle, will.topic, Int32(bytes.count), bytes.baseAddress, Int32(will.qos.rawValue), will.retain,
                    nil)
            }
            try check(rc, .invalidArgument, "will on '\(will.topic)' rejected")
        }
        if configuration.sessionExpiry > 0 {
            try check(
                mosquitto_property_add_int32(
                    &storage.connectProperties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue),
                    configuration.sessionExpiry),
                .internalError, "cannot build the session expiry property")
        }
        installCallbacks(handle)
    }

    private func check(_ rc: Int32, _ code: MQTTError.Code, _ what: String) throws(MQTTError) {
        if rc != MosquittoLibrary.success {
            throw MQTTError(code, "\(what) for \(identity): \(MosquittoLibrary.describe(rc))", mosquittoCode: rc)
        }
    }
}
