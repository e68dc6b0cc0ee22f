internal import Crypto
internal import FogCore

/// Encrypts queued agent commands for the outbox, under a key only this controller holds.
///
/// The outbox cannot hold the wire envelope: every (re)send must be a freshly sealed
/// envelope, because the agent refuses replayed nonces and stale timestamps. It must not
/// hold plaintext either, since `assignLinkHalf` carries a link's pre-shared key. So the
/// `SequencedAgentCommand` is stored as ChaCha20-Poly1305 ciphertext and re-sealed for the
/// agent at each send.
///
/// The key is derived with HKDF-SHA256 from the controller's private X25519 key (a file in
/// its home, mode 0600, never in the database), so a copy of the database alone reveals no
/// command, and the key survives restarts without a new file. The associated data binds a
/// row to its agent and sequence number, so rows moved between agents or reordered do not
/// open.
///
/// Layout of a sealed row: `u8` version (1), 12 nonce, ciphertext, 16 tag.
struct AgentCommandVault: Sendable {
    private static let version: UInt8 = 1
    private static let label = Array("FogFabric agent command outbox v1".utf8)
    private let key: SymmetricKey

    init(home: ControllerHome) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: home.agreementKey.rawRepresentation), salt: Self.label,
            info: home.controllerID.bytes, outputByteCount: 32)
    }

    /// Encrypts `command` for agent `agentID`'s outbox row.
    /// - Throws: `.invalidRequest` when the command breaks a field limit.
    func seal(_ command: SequencedAgentCommand, agentID: OpaqueID) throws(ControllerError) -> [UInt8] {
        let plaintext: [UInt8]
        do {
            plaintext = try command.encoded()
        } catch {
            throw ControllerError(
                .invalidRequest, "command \(command.command) for agent \(agentID) cannot be encoded",
                underlying: "\(error)")
        }
        do {
            let box = try ChaChaPoly.seal(
                plaintext, using: key,
                authenticating: Self.associatedData(agentID: agentID, sequence: command.sequence))
            return [Self.version] + Array(box.combined)
        } catch {
            throw ControllerError(.databaseFailed, "cannot encrypt command \(command.sequence) for agent \(agentID)")
        }
    }

    /// Decrypts an outbox row. A row that does not open was damaged or written by another
    /// controller key; the error says so without detail (crypto failures stay opaque).
    func open(_ sealed: [UInt8], agentID: OpaqueID, sequence: Int64) throws(ControllerError) -> SequencedAgentCommand {
        guard sealed.first == Self.version, sequence > 0 else {
            throw ControllerError(
                .databaseFailed, "outbox row \(sequence) of agent \(agentID) has an unknown format")
        }
        let command: SequencedAgentCommand
        do {
            let box = try ChaChaPoly.SealedBox(combined: sealed.dropFirst())
            let plaintext = try ChaChaPoly.open(
                box, using: key, authenticating: Self.associatedData(agentID: agentID, sequence: UInt64(sequence)))
            command = try SequencedAgentCommand(decoding: Array(plaintext))
        } catch {
            throw ControllerError(
                .databaseFailed,
                "outbox row \(sequence) of agent \(agentID) does not decrypt under this controller's key")
        }
        guard command.sequence == UInt64(sequence) else {
            throw ControllerError(
                .databaseFailed, "outbox row \(sequence) of agent \(agentID) holds command \(command.sequence)")
        }
        return command
    }

    private static func associatedData(agentID: OpaqueID, sequence: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: label.count + 24)
        writer.writeBytes(label)
        writer.writeBytes(agentID.bytes)
        writer.writeUInt64(sequence)
        return writer.bytes
    }
}
