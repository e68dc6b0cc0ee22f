/// Where a child's stdout or stderr goes.
public struct ChildProcessOutput: Sendable {
    enum Kind: Sendable {
        case inherit
        case discard
        case file(path: String, truncate: Bool)
        case pipe(@Sendable ([UInt8]?) -> Void)
    }

    let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    /// This process's own descriptor.
    public static let inherit = ChildProcessOutput(.inherit)
    /// `/dev/null`.
    public static let discard = ChildProcessOutput(.discard)

    /// Appended to (or, with `truncate`, replacing) `path`, created owner-only (0600): child
    /// output may contain anything the child prints, including what it was configured with.
    public static func file(_ path: String, truncate: Bool = false) -> ChildProcessOutput {
        ChildProcessOutput(.file(path: path, truncate: truncate))
    }

    /// A pipe read by a dedicated thread: `handler` gets every chunk as it is read, then `nil`
    /// once the write end is closed by the child and everything it started. The handler runs
    /// on that thread and should return quickly; a slow handler makes the child block on a
    /// full pipe (backpressure, nothing is dropped).
    public static func pipe(_ handler: @escaping @Sendable ([UInt8]?) -> Void) -> ChildProcessOutput {
        ChildProcessOutput(.pipe(handler))
    }

    /// A pipe whose output arrives as lines (without the newline) on `continuation`, which is
    /// finished at end of file. Lines longer than `maximumLineLength` bytes are split; invalid
    /// UTF-8 is repaired. A final line without a newline is still delivered.
    public static func lines(
        into continuation: AsyncStream<String>.Continuation, maximumLineLength: Int = 64 * 1_024
    ) -> ChildProcessOutput {
        let splitter = LineSplitter(maximumLineLength: maximumLineLength)
        return .pipe { chunk in
            guard let chunk else {
                if let rest = splitter.finish() {
                    continuation.yield(rest)
                }
                continuation.finish()
                return
            }
            for line in splitter.feed(chunk) {
                continuation.yield(line)
            }
        }
    }
}
