/// A microservice the agent must run: one child process on the node.
///
/// Deploying a spec under a name that already runs replaces it, so re-applying the same
/// command is harmless (the agent applies commands idempotently).
///
/// Layout (big-endian):
///
///     2+n  name, 1...64 bytes of [A-Za-z0-9._-] (used in bus usernames and file names)
///     2+n  executable path, UTF-8, 1...4096 bytes
///     2    argument count, 0...256; each 2+n UTF-8, 0...4096 bytes
///     2    environment count, 0...256; each 2+n key (1...256), 2+n value (0...4096),
///          keys strictly ascending
///     4+n  configuration (opaque, normally JSON), 0...262144 bytes
public struct MicroserviceSpec: Sendable, Hashable {
    public static let maximumNameLength = 64
    public static let maximumPathLength = 4_096
    public static let maximumArgumentCount = 256
    public static let maximumArgumentLength = 4_096
    public static let maximumEnvironmentCount = 256
    public static let maximumEnvironmentKeyLength = 256
    public static let maximumEnvironmentValueLength = 4_096
    public static let maximumConfigurationSize = 256 * 1_024

    public var name: String
    public var executablePath: String
    public var arguments: [String]
    public var environment: [String: String]
    /// Handed to the process as `FOG_CONFIG`; FogFabric does not interpret it.
    public var configuration: [UInt8]

    public init(
        name: String, executablePath: String, arguments: [String] = [], environment: [String: String] = [:],
        configuration: [UInt8] = []
    ) {
        self.name = name
        self.executablePath = executablePath
        self.arguments = arguments
        self.environment = environment
        self.configuration = configuration
    }

    func write(to writer: inout ByteWriter) throws(CodecError) {
        try Self.writeName(name, to: &writer)
        guard !executablePath.isEmpty else {
            throw CodecError(code: .invalidValue, offset: writer.count, message: "executable path is empty")
        }
        try WireText.write(executablePath, field: "executable path", maximum: Self.maximumPathLength, to: &writer)
        guard arguments.count <= Self.maximumArgumentCount else {
            throw CodecError(
                code: .lengthTooLarge, offset: writer.count,
                message: "\(arguments.count) arguments; at most \(Self.maximumArgumentCount) allowed")
        }
        writer.writeUInt16(UInt16(arguments.count))
        for argument in arguments {
            try WireText.write(argument, field: "argument", maximum: Self.maximumArgumentLength, to: &writer)
        }
        try WireText.writeMap(
            environment, field: "environment", maximumCount: Self.maximumEnvironmentCount,
            maximumKey: Self.maximumEnvironmentKeyLength, maximumValue: Self.maximumEnvironmentValueLength,
            to: &writer)
        guard configuration.count <= Self.maximumConfigurationSize else {
            throw CodecError(
                code: .lengthTooLarge, offset: writer.count,
                message:
                    "configuration is \(configuration.count) bytes; at most \(Self.maximumConfigurationSize) allowed")
        }
        writer.writeLengthPrefixed32(configuration)
    }

    init(from reader: inout ByteReader) throws(CodecError) {
        name = try Self.readName(from: &reader)
        executablePath = try WireText.readNonEmpty(
            from: &reader, field: "executable path", maximum: Self.maximumPathLength)
        let countOffset = reader.offset
        let count = Int(try reader.readUInt16())
        guard count <= Self.maximumArgumentCount else {
            throw CodecError(
                code: .lengthTooLarge, offset: countOffset,
                message: "\(count) arguments; at most \(Self.maximumArgumentCount) allowed")
        }
        var arguments: [String] = []
        for _ in 0..<count {
            arguments.append(try WireText.read(from: &reader, field: "argument", maximum: Self.maximumArgumentLength))
        }
        self.arguments = arguments
        environment = try WireText.readMap(
            from: &reader, field: "environment", maximumCount: Self.maximumEnvironmentCount,
            maximumKey: Self.maximumEnvironmentKeyLength, maximumValue: Self.maximumEnvironmentValueLength)
        configuration = try reader.readLengthPrefixed32(maximum: Self.maximumConfigurationSize)
    }

    /// Microservice names become bus usernames and file names, so they are identifiers.
    static func writeName(_ name: String, to writer: inout ByteWriter) throws(CodecError) {
        guard isValidName(name) else {
            throw CodecError(
                code: .invalidValue, offset: writer.count,
                message: "microservice name must be 1...\(maximumNameLength) bytes of [A-Za-z0-9._-]")
        }
        try WireText.write(name, field: "microservice name", maximum: maximumNameLength, to: &writer)
    }

    static func readName(from reader: inout ByteReader) throws(CodecError) -> String {
        let offset = reader.offset
        let name = try WireText.read(from: &reader, field: "microservice name", maximum: maximumNameLength)
        guard isValidName(name) else {
            throw CodecError(
                code: .invalidValue, offset: offset,
                message: "microservice name must be 1...\(maximumNameLength) bytes of [A-Za-z0-9._-]")
        }
        return name
    }

    /// 1...64 bytes of `[A-Za-z0-9._-]`, and not `.` or `..` (it names a directory).
    public static func isValidName(_ name: String) -> Bool {
        name.utf8.count <= maximumNameLength && Grant.isValidIdentifier(name.utf8) && name != "." && name != ".."
    }
}
