extension Grant {
    /// Checks every rule a ComSat enforces on a single grant (rules between grants, such as
    /// unique client ids, are the plugin's). Topics are exact and must use the prefixes of
    /// the grant's kind:
    ///
    /// | kind | publish | subscribe |
    /// |---|---|---|
    /// | agent | `r/` | `c/` |
    /// | provisioning key | `q/` | `p/` |
    /// | link half | `l/` | `l/` (not one it publishes) |
    public func validate() throws(GrantError) {
        guard Self.isValidIdentifier(username.utf8) else {
            throw GrantError(
                code: .invalidUsername,
                message: "username must be 1...\(Self.maximumIdentifierLength) bytes of [A-Za-z0-9._-]")
        }
        guard Self.isValidIdentifier(clientID.utf8) else {
            throw GrantError(
                code: .invalidClientID,
                message: "client id of \(LogAlias.of(username)) must be 1...\(Self.maximumIdentifierLength) bytes of [A-Za-z0-9._-]")
        }
        switch (kind, link) {
        case (.linkHalf, nil):
            throw GrantError(code: .invalidLinkBinding, message: "link half \(LogAlias.of(username)) has no link id and side")
        case (.agent, .some), (.provisioningKey, .some):
            throw GrantError(code: .invalidLinkBinding, message: "\(kind) \(LogAlias.of(username)) must not name a link")
        default:
            break
        }
        let (publishPrefix, subscribePrefix) = allowedPrefixes
        try checkTopics(publishTopics, direction: "publish", prefix: publishPrefix)
        try checkTopics(subscribeTopics, direction: "subscribe", prefix: subscribePrefix)
        if let shared = publishTopics.first(where: subscribeTopics.contains) {
            throw GrantError(
                code: .topicNotAllowed,
                message: "\(LogAlias.of(username)) both publishes and subscribes to '\(shared)'")
        }
    }

    /// The prefixes this kind may publish and subscribe with.
    public var allowedPrefixes: (publish: ComSatTopic.Prefix, subscribe: ComSatTopic.Prefix) {
        switch kind {
        case .agent: (.agentReply, .agentCommand)
        case .provisioningKey: (.provisioningRequest, .provisioningResponse)
        case .linkHalf: (.linkDirection, .linkDirection)
        }
    }

    private func checkTopics(_ topics: [String], direction: String, prefix: ComSatTopic.Prefix) throws(GrantError) {
        guard (1...Self.maximumTopicCount).contains(topics.count) else {
            throw GrantError(
                code: .tooManyTopics,
                message: "\(LogAlias.of(username)) has \(topics.count) \(direction) topics; 1...\(Self.maximumTopicCount) allowed")
        }
        for (index, topic) in topics.enumerated() {
            guard let found = ComSatTopic.prefix(of: topic.utf8) else {
                throw GrantError(
                    code: .invalidTopic,
                    message: "\(direction) topic \(index) of \(LogAlias.of(username)) is not <prefix>/<[A-Za-z0-9._-]{1,\(ComSatTopic.maximumLevelLength)}>")
            }
            guard found == prefix else {
                throw GrantError(
                    code: .topicNotAllowed,
                    message: "\(kind) \(LogAlias.of(username)) may only \(direction) '\(prefix.text)' topics, not \(LogAlias.of(topic))")
            }
            guard !topics[..<index].contains(topic) else {
                throw GrantError(
                    code: .topicNotAllowed,
                    message: "\(LogAlias.of(username)) lists \(direction) topic \(LogAlias.of(topic)) twice")
            }
        }
    }

    /// True for a valid username or client id: 1...`maximumIdentifierLength` bytes of
    /// `[A-Za-z0-9._-]`.
    public static func isValidIdentifier(_ bytes: some Collection<UInt8>) -> Bool {
        (1...maximumIdentifierLength).contains(bytes.count) && bytes.allSatisfy(ComSatTopic.isIdentifierByte)
    }
}
