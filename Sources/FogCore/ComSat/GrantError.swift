/// A grant that the plugin must not install, and why.
///
/// Raised by `Grant.validate()` on both sides: the controller checks before sending, the
/// plugin checks again and answers the item with `.invalid`. Messages name the field and
/// the rule, never the secret hash.
public struct GrantError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidUsername, invalidClientID, invalidTopic, topicNotAllowed
            case tooManyTopics, invalidLinkBinding
        }
        private let value: Value

        /// The username is empty, too long or has bytes outside `[A-Za-z0-9._-]`.
        public static let invalidUsername = Code(value: .invalidUsername)
        /// The client id is empty, too long or has bytes outside `[A-Za-z0-9._-]`.
        public static let invalidClientID = Code(value: .invalidClientID)
        /// A topic is not `<prefix>/<level>` with a known prefix and a valid level.
        public static let invalidTopic = Code(value: .invalidTopic)
        /// A topic's prefix is not one this kind of principal may use in that direction,
        /// or a topic appears twice.
        public static let topicNotAllowed = Code(value: .topicNotAllowed)
        /// A topic list is empty or longer than `Grant.maximumTopicCount`.
        public static let tooManyTopics = Code(value: .tooManyTopics)
        /// A link half without a link binding, or another kind with one.
        public static let invalidLinkBinding = Code(value: .invalidLinkBinding)

        public var description: String {
            switch value {
            case .invalidUsername: "invalidUsername"
            case .invalidClientID: "invalidClientID"
            case .invalidTopic: "invalidTopic"
            case .topicNotAllowed: "topicNotAllowed"
            case .tooManyTopics: "tooManyTopics"
            case .invalidLinkBinding: "invalidLinkBinding"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "GrantError.\(code): \(message)" }
}
