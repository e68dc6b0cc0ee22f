internal import FogSystem
public import FogCore
import Foundation

/// The files of one half in `HALF_DIR`: the agent's `assignment`, and the half's own
/// `mqtt.secret`, `comsat-ca.pem`, `queue/`, `receive.cursor` and `receive.echo`.
///
/// Everything the half writes is 0600 and replaced atomically (`PrivateFile`: temporary, sync, rename),
/// so a crash leaves either the old or the new content.
public struct LinkHalfFiles: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    public var assignmentPath: String { directory + "/assignment" }
    public var secretPath: String { directory + "/mqtt.secret" }
    public var certificateAuthorityPath: String { directory + "/comsat-ca.pem" }
    public var queueDirectory: String { directory + "/queue" }
    public var receiveCursorPath: String { directory + "/receive.cursor" }
    /// Highest delivery the local bus echoed back (`EchoRecord`).
    public var echoRecordPath: String { directory + "/receive.echo" }

    public func readAssignment() throws(LinkHalfError) -> LinkHalfAssignment {
        guard let data = FileManager.default.contents(atPath: assignmentPath) else {
            throw LinkHalfError(.assignmentInvalid, "cannot read \(assignmentPath)")
        }
        do {
            return try LinkHalfAssignment(decoding: [UInt8](data))
        } catch {
            throw LinkHalfError(.assignmentInvalid, "\(assignmentPath) does not decode", underlying: error)
        }
    }

    /// The half's MQTT password, generated on first start. A file that exists but does not
    /// hold a secret is an error, not a reason to generate a new one: the controller holds
    /// the old one's hash, and replacing it silently would lock the half out.
    public func loadOrCreateSecret() throws(LinkHalfError) -> Secret {
        if let data = FileManager.default.contents(atPath: secretPath) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                return try Secret(text: text)
            } catch {
                throw LinkHalfError(.stateUnusable, "\(secretPath) does not hold a secret", underlying: error)
            }
        }
        let secret = Secret()
        try writeAtomically(Array((secret.text + "\n").utf8), to: secretPath)
        return secret
    }

    /// Writes the assignment's CA certificate for libmosquitto, which reads CAs from files.
    public func writeCertificateAuthority(_ pem: String) throws(LinkHalfError) -> String {
        try writeAtomically(Array(pem.utf8), to: certificateAuthorityPath)
        return certificateAuthorityPath
    }

    func writeAtomically(_ bytes: [UInt8], to path: String) throws(LinkHalfError) {
        do {
            try PrivateFile.write(bytes, to: path)
        } catch {
            throw LinkHalfError(.stateUnusable, "cannot store \(path): \(error.detail)")
        }
    }

    /// Reads the first line of a password file (the bus password).
    public static func readPassword(_ path: String) throws(LinkHalfError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LinkHalfError(.configurationInvalid, "cannot read bus password file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
    }
}
