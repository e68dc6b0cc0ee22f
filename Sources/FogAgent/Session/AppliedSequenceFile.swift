/// The agent's last applied command sequence number, in `<state>/command.sequence`.
///
/// Decimal text and a newline, mode 0600, replaced atomically (`StateFile`), so a power cut
/// leaves the old or the new number. Written after a command's effects and before its
/// acknowledgement: the controller never forgets a command the agent has not recorded.
enum AppliedSequenceFile {
    static let name = "command.sequence"

    /// The recorded number; 0 when the agent never applied a command.
    static func read(from directory: String) throws(AgentStateError) -> UInt64 {
        let path = directory + "/" + name
        guard StateFile.exists(path) else { return 0 }
        let bytes = try StateFile.read(directory, name: name, maximumSize: 64)
        let text = String(decoding: bytes, as: UTF8.self)
        let digits = text.hasSuffix("\n") ? text.dropLast() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = UInt64(digits) else {
            throw AgentStateError(code: .fileCorrupt, message: "is not a command sequence number", path: path)
        }
        return value
    }

    static func write(_ sequence: UInt64, to directory: String) throws(AgentStateError) {
        try StateFile.write(Array("\(sequence)\n".utf8), to: directory, name: name)
    }
}
