/// One local-bus message carried over a link: the route's channel and the bytes published.
public struct LinkMessage: Sendable, Hashable {
    /// Largest payload a link carries. Bigger local messages are refused at ingress (logged
    /// and counted), so one message always fits a frame.
    public static let maximumPayloadSize = 128 * 1024

    public var channel: UInt16
    public var payload: [UInt8]

    public init(channel: UInt16, payload: [UInt8]) {
        self.channel = channel
        self.payload = payload
    }
}
