internal import FogCore

/// The plugin's settings, parsed from its `plugin_opt_*` lines.
///
/// Every option is checked at start-up and any problem refuses the start: a ComSat that
/// came up without its controller key or grant store would lock everyone out or, worse,
/// run with a different grant set than the controller believes.
struct PluginConfiguration {
    /// MQTT username of the controller principal.
    var controllerUsername: String
    /// The only client id the controller principal may connect with.
    var controllerClientID: String
    /// SHA-256 of the controller's MQTT password text.
    var controllerSecretHash: SecretHash
    /// Ed25519 key that must sign every control command.
    var controllerPublicKey: SigningPublicKey
    /// The controller's envelope sender id.
    var controllerID: OpaqueID
    /// This ComSat's id: commands must be addressed to it, responses come from it.
    var comsatID: OpaqueID
    /// The grant journal's path.
    var grantStorePath: String
    /// This ComSat's Ed25519 identity key (raw 32-byte seed), created at first start.
    var identityKeyPath: String
    /// Largest control message accepted, in bytes.
    var maximumControlSize = 4 * 1024 * 1024
    /// Largest accepted difference between a command's timestamp and this ComSat's clock.
    var clockSkew: Duration = .seconds(120)
    /// Most grants the store holds.
    var maximumGrants = 1_000_000
    /// Most command nonces remembered within the clock skew.
    var replayCapacity = 10_000

    /// Option names, as after `plugin_opt_`.
    enum Option: String, CaseIterable {
        case controllerUsername = "controller_username"
        case controllerClientID = "controller_client_id"
        case controllerSecretHash = "controller_secret_hash"
        case controllerPublicKey = "controller_public_key"
        case controllerID = "controller_id"
        case comsatID = "comsat_id"
        case grantStore = "grant_store"
        case identityKey = "identity_key_file"
        case maximumControlSize = "max_control_size"
        case clockSkew = "clock_skew"
        case maximumGrants = "max_grants"
        case replayCapacity = "replay_capacity"
    }

    /// Parses (key, value) pairs as Mosquitto passes them (without the `plugin_opt_` prefix).
    init(options: [(key: String, value: String)]) throws(PluginConfigurationError) {
        var values: [Option: String] = [:]
        for (key, value) in options {
            guard let option = Option(rawValue: key) else {
                let known = Option.allCases.map(\.rawValue).joined(separator: ", ")
                throw PluginConfigurationError(option: key, message: "unknown option (known: \(known))")
            }
            guard values[option] == nil else {
                throw PluginConfigurationError(option: key, message: "given more than once")
            }
            values[option] = value
        }
        func required(_ option: Option) throws(PluginConfigurationError) -> String {
            guard let value = values[option], !value.isEmpty else {
                throw PluginConfigurationError(option: option.rawValue, message: "missing; it is required")
            }
            return value
        }

        controllerUsername = try Self.identifier(required(.controllerUsername), .controllerUsername)
        controllerClientID = try Self.identifier(required(.controllerClientID), .controllerClientID)
        let secretHashText = try required(.controllerSecretHash)
        do {
            controllerSecretHash = try SecretHash(hex: secretHashText)
        } catch {
            throw PluginConfigurationError(
                option: Option.controllerSecretHash.rawValue,
                message: "must be 64 lowercase hex digits (SHA-256 of the controller's password text)")
        }
        controllerPublicKey = try Self.publicKey(required(.controllerPublicKey))
        controllerID = try Self.opaqueID(required(.controllerID), .controllerID)
        comsatID = try Self.opaqueID(required(.comsatID), .comsatID)
        grantStorePath = try Self.path(required(.grantStore), .grantStore)
        identityKeyPath = try Self.path(required(.identityKey), .identityKey)
        guard grantStorePath != identityKeyPath else {
            throw PluginConfigurationError(option: Option.identityKey.rawValue, message: "must differ from grant_store")
        }
        if let value = values[.maximumControlSize] {
            maximumControlSize = try Self.integer(value, .maximumControlSize, in: 1_024...(256 * 1024 * 1024))
        }
        if let value = values[.clockSkew] {
            clockSkew = .seconds(try Self.integer(value, .clockSkew, in: 1...3_600))
        }
        if let value = values[.maximumGrants] {
            maximumGrants = try Self.integer(value, .maximumGrants, in: 1...100_000_000)
        }
        if let value = values[.replayCapacity] {
            replayCapacity = try Self.integer(value, .replayCapacity, in: 16...10_000_000)
        }
    }

    private static func identifier(_ value: String, _ option: Option) throws(PluginConfigurationError) -> String {
        guard Grant.isValidIdentifier(value.utf8) else {
            throw PluginConfigurationError(
                option: option.rawValue,
                message: "must be 1...\(Grant.maximumIdentifierLength) bytes of [A-Za-z0-9._-]")
        }
        return value
    }

    /// Accepts the canonical base64url form or 64 lowercase hex digits.
    private static func publicKey(_ value: String) throws(PluginConfigurationError) -> SigningPublicKey {
        if value.utf8.count == 2 * SigningPublicKey.byteCount, let bytes = try? Hex.decode(value),
            let key = try? SigningPublicKey(rawRepresentation: bytes)
        {
            return key
        }
        do {
            return try SigningPublicKey(text: value)
        } catch {
            throw PluginConfigurationError(
                option: Option.controllerPublicKey.rawValue,
                message: "must be an Ed25519 public key as 43 base64url symbols or 64 hex digits (\(error.message))")
        }
    }

    private static func opaqueID(_ value: String, _ option: Option) throws(PluginConfigurationError) -> OpaqueID {
        do {
            return try OpaqueID(validating: value.utf8)
        } catch {
            throw PluginConfigurationError(option: option.rawValue, message: error.message)
        }
    }

    private static func path(_ value: String, _ option: Option) throws(PluginConfigurationError) -> String {
        guard value.hasPrefix("/"), !value.hasSuffix("/") else {
            throw PluginConfigurationError(option: option.rawValue, message: "must be an absolute file path, got '\(value)'")
        }
        return value
    }

    private static func integer(_ value: String, _ option: Option, in range: ClosedRange<Int>) throws(PluginConfigurationError) -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw PluginConfigurationError(
                option: option.rawValue,
                message: "must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(value)'")
        }
        return number
    }
}
