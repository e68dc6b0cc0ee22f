internal import CMosquittoBroker
internal import FogCore
internal import Glibc

// The plugin's C entry points (Mosquitto plugin API v5) and the callbacks they register.
// They never throw or trap: every failure becomes a MOSQ_ERR_* code and a log line. Their
// signatures use raw pointers rather than the C types so they can be public (and so
// exported) without exposing the C module.

/// Plugin API version implemented.
private let pluginAPIVersion: CInt = 5

/// What `*user_data` points to: the state plus what cleanup needs to unregister.
private final class PluginHandle {
    let state: PluginState
    let identifier: OpaquePointer
    var registered: [Int32] = []

    init(state: PluginState, identifier: OpaquePointer) {
        self.state = state
        self.identifier = identifier
    }
}

private let controlTopic = ComSatTopic.control.utf8CString.map { $0 }
private let responseTopic = ComSatTopic.response.utf8CString.map { $0 }

/// Returns 5 when the broker offers plugin API v5, else -1 (the broker then refuses it).
@_cdecl("mosquitto_plugin_version")
public func comsatPluginVersion(_ supportedCount: CInt, _ supportedVersions: UnsafePointer<CInt>?) -> CInt {
    guard let supportedVersions, supportedCount > 0 else { return -1 }
    for index in 0..<Int(supportedCount) where supportedVersions[index] == pluginAPIVersion {
        return pluginAPIVersion
    }
    return -1
}

/// Parses the options, opens the identity key and grant store, and registers the
/// callbacks. Any failure is logged with the option or file at fault and refuses the start.
@_cdecl("mosquitto_plugin_init")
public func comsatPluginInit(
    _ identifier: OpaquePointer?, _ userData: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ options: UnsafeMutableRawPointer?, _ optionCount: CInt
) -> CInt {
    guard let identifier, let userData else { return MOSQ_ERR_INVAL.rawValue }
    guard CMosquittoBroker_isAvailable() else { return MOSQ_ERR_NOT_SUPPORTED.rawValue }
    let configuration: PluginConfiguration
    do {
        configuration = try PluginConfiguration(options: readOptions(options, count: optionCount))
    } catch {
        PluginLog.error("invalid configuration, refusing to start: \(error)")
        return MOSQ_ERR_INVAL.rawValue
    }
    var notes: [String] = []
    let state: PluginState
    do {
        state = try PluginState(configuration: configuration, notes: &notes)
    } catch {
        notes.forEach(PluginLog.notice)
        PluginLog.error("cannot start: \(error)")
        return MOSQ_ERR_UNKNOWN.rawValue
    }
    notes.forEach(PluginLog.notice)

    let handle = PluginHandle(state: state, identifier: identifier)
    let opaque = Unmanaged.passRetained(handle).toOpaque()
    let callbacks: [(Int32, MOSQ_FUNC_generic_callback)] = [
        (Int32(MOSQ_EVT_BASIC_AUTH.rawValue), onBasicAuth),
        (Int32(MOSQ_EVT_ACL_CHECK.rawValue), onACLCheck),
        (Int32(MOSQ_EVT_CONTROL.rawValue), onControl),
        (Int32(MOSQ_EVT_TICK.rawValue), onTick),
        (Int32(MOSQ_EVT_DISCONNECT.rawValue), onDisconnect),
    ]
    for (event, callback) in callbacks {
        let result = controlTopic.withUnsafeBufferPointer { topic in
            CMosquittoBroker_registerCallback(
                identifier, event, callback, event == Int32(MOSQ_EVT_CONTROL.rawValue) ? topic.baseAddress : nil, opaque)
        }
        guard result == MOSQ_ERR_SUCCESS.rawValue else {
            PluginLog.error("cannot register callback for event \(event) (mosquitto error \(result)); refusing to start")
            unregister(handle)
            Unmanaged<PluginHandle>.fromOpaque(opaque).release()
            state.close()
            return result
        }
        handle.registered.append(event)
    }
    userData.pointee = opaque
    PluginLog.notice(
        "ready: ComSat \(configuration.comsatID), controller '\(configuration.controllerUsername)' "
            + "(client '\(configuration.controllerClientID)', id \(configuration.controllerID))")
    return MOSQ_ERR_SUCCESS.rawValue
}

/// Unregisters the callbacks, commits anything staged and releases the state.
@_cdecl("mosquitto_plugin_cleanup")
public func comsatPluginCleanup(
    _ userData: UnsafeMutableRawPointer?, _ options: UnsafeMutableRawPointer?, _ optionCount: CInt
) -> CInt {
    guard let userData else { return MOSQ_ERR_SUCCESS.rawValue }
    let handle = Unmanaged<PluginHandle>.fromOpaque(userData).takeRetainedValue()
    unregister(handle)
    handle.state.close()
    return MOSQ_ERR_SUCCESS.rawValue
}

private func unregister(_ handle: PluginHandle) {
    for event in handle.registered {
        let callback: MOSQ_FUNC_generic_callback =
            switch event {
            case Int32(MOSQ_EVT_BASIC_AUTH.rawValue): onBasicAuth
            case Int32(MOSQ_EVT_ACL_CHECK.rawValue): onACLCheck
            case Int32(MOSQ_EVT_CONTROL.rawValue): onControl
            case Int32(MOSQ_EVT_TICK.rawValue): onTick
            default: onDisconnect
            }
        _ = controlTopic.withUnsafeBufferPointer { topic in
            CMosquittoBroker_unregisterCallback(
                handle.identifier, event, callback, event == Int32(MOSQ_EVT_CONTROL.rawValue) ? topic.baseAddress : nil)
        }
    }
    handle.registered.removeAll()
}

private func readOptions(_ options: UnsafeMutableRawPointer?, count: CInt) -> [(key: String, value: String)] {
    guard let options, count > 0 else { return [] }
    let list = options.assumingMemoryBound(to: mosquitto_opt.self)
    return (0..<Int(count)).map { index in
        let option = list[index]
        return (option.key.map { String(cString: $0) } ?? "", option.value.map { String(cString: $0) } ?? "")
    }
}

@inline(__always)
private func handle(_ userData: UnsafeMutableRawPointer?) -> PluginHandle? {
    userData.map { Unmanaged<PluginHandle>.fromOpaque($0).takeUnretainedValue() }
}

/// Runs `body` with the plugin's state without retaining it: `*user_data` holds the
/// reference until cleanup, which cannot run during a callback.
@inline(__always)
private func withState<R>(_ userData: UnsafeMutableRawPointer, _ body: (PluginState) -> R) -> R {
    Unmanaged<PluginHandle>.fromOpaque(userData)._withUnsafeGuaranteedRef { body($0.state) }
}

/// The bytes of a C string, without copying.
@inline(__always)
private func bytes(_ string: UnsafePointer<CChar>?) -> UnsafeRawBufferPointer? {
    string.map { UnsafeRawBufferPointer(start: $0, count: strlen($0)) }
}

private func onBasicAuth(_ event: CInt, _ eventData: UnsafeMutableRawPointer?, _ userData: UnsafeMutableRawPointer?) -> CInt {
    guard let userData, let eventData else { return MOSQ_ERR_AUTH.rawValue }
    let data = eventData.assumingMemoryBound(to: mosquitto_evt_basic_auth.self).pointee
    let clientID = CMosquittoBroker_clientID(data.client)
    let decision = withState(userData) { state in
        state.authenticate(
            username: bytes(data.username), password: bytes(data.password), clientID: bytes(clientID),
            cleanStart: CMosquittoBroker_clientCleanStart(data.client), now: UInt64(time(nil)))
    }
    if decision.isAccepted, let id = bytes(clientID) {
        withState(userData) { $0.connected.authenticated(id) }
    }
    switch decision {
    case .controller:
        PluginLog.clientEvent("accepted controller", clientID: clientID)
    case .sweep:
        PluginLog.clientEvent("accepted controller sweep: discarding the session of a removed grant", clientID: clientID)
    case .grant(let record, let completedOptIn):
        switch record.grant.kind {
        case .agent: PluginLog.clientEvent("accepted agent", clientID: clientID)
        case .provisioningKey: PluginLog.clientEvent("accepted provisioning key", clientID: clientID)
        case .linkHalf: PluginLog.clientEvent("accepted link half", clientID: clientID)
        }
        if completedOptIn {
            PluginLog.clientEvent("link opted in: both halves have authenticated", clientID: clientID)
        }
    case .refused(let reason):
        PluginLog.clientEvent(reason, clientID: clientID, warning: true)
        return MOSQ_ERR_AUTH.rawValue
    }
    return MOSQ_ERR_SUCCESS.rawValue
}

private func onACLCheck(_ event: CInt, _ eventData: UnsafeMutableRawPointer?, _ userData: UnsafeMutableRawPointer?) -> CInt {
    guard let userData, let eventData else { return MOSQ_ERR_ACL_DENIED.rawValue }
    let data = eventData.assumingMemoryBound(to: mosquitto_evt_acl_check.self).pointee
    guard let topic = bytes(data.topic) else { return MOSQ_ERR_ACL_DENIED.rawValue }
    let allowed = withState(userData) { state in
        state.authorize(
            username: bytes(CMosquittoBroker_clientUsername(data.client)),
            clientID: bytes(CMosquittoBroker_clientID(data.client)), topic: topic, access: data.access,
            retain: data.retain, now: { UInt64(time(nil)) })
    }
    return allowed ? MOSQ_ERR_SUCCESS.rawValue : MOSQ_ERR_ACL_DENIED.rawValue
}

/// Always returns success: a non-zero result would make the broker drop the controller's
/// connection, and a refused command is already counted, logged and left unanswered.
private func onControl(_ event: CInt, _ eventData: UnsafeMutableRawPointer?, _ userData: UnsafeMutableRawPointer?) -> CInt {
    guard let handle = handle(userData), let eventData else { return MOSQ_ERR_SUCCESS.rawValue }
    let data = eventData.assumingMemoryBound(to: mosquitto_evt_control.self).pointee
    let state = handle.state
    let outcome = state.handleControl(
        username: bytes(CMosquittoBroker_clientUsername(data.client)), clientID: bytes(CMosquittoBroker_clientID(data.client)),
        payload: UnsafeRawBufferPointer(start: data.payload, count: Int(data.payloadlen)), now: .now())
    // Kicking from inside the control callback is what Mosquitto 2.0's own
    // dynamic-security plugin does; it never targets the controller's own connection.
    for clientID in outcome.kicks where state.connected.isConnected(clientID) {
        clientID.withUnsafeBufferPointer { clientID in
            guard let base = clientID.baseAddress, CMosquittoBroker_kickClient(base) == MOSQ_ERR_SUCCESS.rawValue else { return }
            state.counters.kicks &+= 1
            PluginLog.clientEvent("kicked: grant removed or secret replaced", clientID: base)
        }
    }
    if let response = outcome.response {
        let result = state.controllerClientIDCString.withUnsafeBufferPointer { clientID in
            responseTopic.withUnsafeBufferPointer { topic in
                response.withUnsafeBytes { payload in
                    CMosquittoBroker_publishToClient(
                        clientID.baseAddress, topic.baseAddress, payload.baseAddress, Int32(payload.count), 1)
                }
            }
        }
        if result != MOSQ_ERR_SUCCESS.rawValue {
            PluginLog.error("cannot queue the control response (mosquitto error \(result))")
        }
    }
    return MOSQ_ERR_SUCCESS.rawValue
}

private func onTick(_ event: CInt, _ eventData: UnsafeMutableRawPointer?, _ userData: UnsafeMutableRawPointer?) -> CInt {
    if let userData {
        withState(userData) { $0.tick() }
    }
    return MOSQ_ERR_SUCCESS.rawValue
}

/// Logs disconnects of authenticated clients (refused ones have no client id by then),
/// since the broker's own connection messages, which carry client addresses, are off.
private func onDisconnect(_ event: CInt, _ eventData: UnsafeMutableRawPointer?, _ userData: UnsafeMutableRawPointer?) -> CInt {
    guard let eventData else { return MOSQ_ERR_SUCCESS.rawValue }
    let data = eventData.assumingMemoryBound(to: mosquitto_evt_disconnect.self).pointee
    if let clientID = CMosquittoBroker_clientID(data.client), CMosquittoBroker_clientUsername(data.client) != nil {
        PluginLog.clientEvent("disconnected", clientID: clientID)
        if let userData, let id = bytes(clientID) {
            withState(userData) { $0.connected.disconnected(id) }
        }
    }
    return MOSQ_ERR_SUCCESS.rawValue
}
