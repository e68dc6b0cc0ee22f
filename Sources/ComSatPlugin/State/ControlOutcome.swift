/// What the plugin must do after a control message.
struct ControlOutcome {
    /// The signed response envelope to publish to the controller; nil when the message was
    /// refused before it could be authenticated (nothing trustworthy to answer).
    var response: [UInt8]?
    /// Client ids to disconnect.
    var kicks: [[CChar]] = []
}
