import FogCore

/// A principal with its secret, as the controller would install it.
struct TestPrincipal: Sendable {
    var grant: Grant
    var secret: Secret

    var username: String { grant.username }
    var clientID: String { grant.clientID }
}

/// Both halves of one link, with their opaque topics.
struct TestLink: Sendable {
    let id: OpaqueID
    let a: TestPrincipal
    let b: TestPrincipal
    /// A publishes here, B receives.
    let topicAB: String
    /// B publishes here, A receives.
    let topicBA: String

    init(expiry: UInt64 = 0) {
        let linkID = OpaqueID()
        let topicAB = ComSatTopic.topic(.linkDirection, OpaqueID())
        let topicBA = ComSatTopic.topic(.linkDirection, OpaqueID())
        id = linkID
        self.topicAB = topicAB
        self.topicBA = topicBA
        a = Self.half(linkID, .a, publish: topicAB, subscribe: topicBA, expiry: expiry)
        b = Self.half(linkID, .b, publish: topicBA, subscribe: topicAB, expiry: expiry)
    }

    private static func half(
        _ linkID: OpaqueID, _ side: Grant.LinkSide, publish: String, subscribe: String, expiry: UInt64
    ) -> TestPrincipal {
        let secret = Secret()
        let name = OpaqueID().description
        return TestPrincipal(
            grant: .linkHalf(
                linkID: linkID, side: side, username: name, clientID: "h-" + name, secretHash: secret.hash,
                publishTopic: publish, subscribeTopic: subscribe, expiry: expiry),
            secret: secret)
    }

    var grants: [Grant] { [a.grant, b.grant] }
}

extension TestPrincipal {
    /// An agent with its own command and reply topics.
    static func agent() -> TestPrincipal {
        let secret = Secret()
        let id = OpaqueID()
        return TestPrincipal(
            grant: .agent(
                username: id.description, clientID: "agent-" + id.description, secretHash: secret.hash,
                commandTopic: ComSatTopic.topic(.agentCommand, OpaqueID()),
                replyTopic: ComSatTopic.topic(.agentReply, OpaqueID())),
            secret: secret)
    }
}
