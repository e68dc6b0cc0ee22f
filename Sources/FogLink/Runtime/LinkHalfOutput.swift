import Foundation

/// The stdout line protocol the agent reads (SESSION2 contract): one ASCII line per event.
///
///     secret-hash <64 lowercase hex>
///     state <connecting|handshaking|up|down>
///     queue <messages> <bytes>
public struct LinkHalfOutput: Sendable {
    public enum State: String, Sendable {
        case connecting, handshaking, up, down
    }

    private let write: @Sendable (String) -> Void

    /// Lines go to `write` without the newline.
    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// Writes each line to stdout and flushes it at once, so a pipe reader sees it.
    public static let standardOutput = LinkHalfOutput { line in
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    func secretHash(_ hex: String) { write("secret-hash \(hex)") }
    func state(_ state: State) { write("state \(state.rawValue)") }
    func queue(messages: UInt64, bytes: UInt64) { write("queue \(messages) \(bytes)") }
}
