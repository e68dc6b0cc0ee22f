import FogCore

/// One link half as a controller would create it: opaque username, client id and topics,
/// a fresh 256-bit secret, and the grant ComSat needs for it.
struct LinkHalfCredentials: Sendable {
    var linkID: OpaqueID
    var side: Grant.LinkSide
    var username: String
    var clientID: String
    /// The MQTT password: the secret's text form. Only the bench holds it.
    var password: String
    var secretHash: SecretHash
    var publishTopic: String
    var subscribeTopic: String

    var grant: Grant {
        .linkHalf(
            linkID: linkID, side: side, username: username, clientID: clientID, secretHash: secretHash,
            publishTopic: publishTopic, subscribeTopic: subscribeTopic)
    }

    /// Both halves of `count` new links: A publishes the A→B topic and subscribes to B→A,
    /// B the other way round.
    static func links(_ count: Int) -> [(a: LinkHalfCredentials, b: LinkHalfCredentials)] {
        (0..<count).map { _ in
            let linkID = OpaqueID()
            let aToB = ComSatTopic.topic(.linkDirection, OpaqueID())
            let bToA = ComSatTopic.topic(.linkDirection, OpaqueID())
            return (
                half(linkID: linkID, side: .a, publish: aToB, subscribe: bToA),
                half(linkID: linkID, side: .b, publish: bToA, subscribe: aToB)
            )
        }
    }

    /// `count` link halves, both halves of each link in turn (a last odd one is an A half).
    static func halves(_ count: Int) -> [LinkHalfCredentials] {
        Array(links((count + 1) / 2).flatMap { [$0.a, $0.b] }.prefix(count))
    }

    private static func half(linkID: OpaqueID, side: Grant.LinkSide, publish: String, subscribe: String) -> LinkHalfCredentials {
        let secret = Secret()
        return LinkHalfCredentials(
            linkID: linkID, side: side, username: OpaqueID().description, clientID: OpaqueID().description,
            password: secret.text, secretHash: secret.hash, publishTopic: publish, subscribeTopic: subscribe)
    }
}
