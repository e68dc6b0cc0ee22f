import FogCore
@testable import FogLink
import Testing

/// The end-to-end state machine fed directly with bytes: what a ComSat (or anyone on the
/// path) could do to frames, it can do here, and every such frame must be refused.
@Suite struct LinkSessionTests {
    let linkID = OpaqueID()
    let preSharedKey = Secret()

    /// Runs the handshake to completion by relaying hellos both ways.
    func connectedPair() throws -> (a: LinkSession, b: LinkSession) {
        var a = LinkSession(linkID: linkID, side: .a, preSharedKey: preSharedKey)
        var b = LinkSession(linkID: linkID, side: .b, preSharedKey: preSharedKey)
        try relay(a.rekey(), from: &a, to: &b)
        #expect(a.isUp && b.isUp)
        return (a, b)
    }

    /// Delivers `frame` to `receiver`, then every reply to the other side, until quiet.
    func relay(_ frame: [UInt8], from sender: inout LinkSession, to receiver: inout LinkSession) throws {
        var pending: [UInt8]? = frame
        var towardsReceiver = true
        var rounds = 0
        while let next = pending, rounds < 10 {
            rounds += 1
            let event = towardsReceiver ? try receiver.open(next) : try sender.open(next)
            guard case .hello(let reply) = event else { return }
            pending = reply
            towardsReceiver.toggle()
        }
        #expect(rounds < 10, "handshake did not settle")
    }

    func reading(_ index: Int) -> LinkMessage {
        LinkMessage(channel: 7, payload: Array("reading-\(index)".utf8))
    }

    @Test func handshakeSettlesInThreeHellosAndCarriesDataBothWays() throws {
        var (a, b) = try connectedPair()
        let toB = try a.seal(LinkPayload(firstSequence: 1, messages: [reading(1), reading(2)]))
        #expect(try b.open(toB) == .payload(LinkPayload(firstSequence: 1, messages: [reading(1), reading(2)])))
        let toA = try b.seal(LinkPayload(acknowledged: 2))
        #expect(try a.open(toA) == .payload(LinkPayload(acknowledged: 2)))
    }

    @Test func modifiedFrameIsRefusedAndLeavesTheSessionUsable() throws {
        var (a, b) = try connectedPair()
        let frame = try a.seal(LinkPayload(firstSequence: 1, messages: [reading(1)]))
        for index in [1, 3, 8, LinkSession.sealedHeaderSize, frame.count - 1] {
            var tampered = frame
            tampered[index] ^= 0x01
            #expect(throws: LinkProtocolError.self) { try b.open(tampered) }
        }
        var flippedBody = frame
        flippedBody[LinkSession.sealedHeaderSize + 2] ^= 0x80
        #expect(performing: { try b.open(flippedBody) }, throws: { ($0 as? LinkProtocolError)?.code == .authenticationFailed })
        #expect(try b.open(frame) == .payload(LinkPayload(firstSequence: 1, messages: [reading(1)])))
    }

    @Test func replayedAndReorderedFramesAreRefused() throws {
        var (a, b) = try connectedPair()
        let first = try a.seal(LinkPayload(firstSequence: 1, messages: [reading(1)]))
        let second = try a.seal(LinkPayload(firstSequence: 2, messages: [reading(2)]))
        let third = try a.seal(LinkPayload(firstSequence: 3, messages: [reading(3)]))
        _ = try b.open(first)
        #expect(performing: { try b.open(first) }, throws: { ($0 as? LinkProtocolError)?.code == .replayed })
        _ = try b.open(third)
        // The second frame arrives after the third: reordering is refused like a replay.
        #expect(performing: { try b.open(second) }, throws: { ($0 as? LinkProtocolError)?.code == .replayed })
    }

    @Test func framesOfAnEarlierKeyAreStaleAfterARekey() throws {
        var (a, b) = try connectedPair()
        let old = try a.seal(LinkPayload(firstSequence: 1, messages: [reading(1)]))
        try relay(a.rekey(), from: &a, to: &b)
        #expect(a.isUp && b.isUp)
        #expect(performing: { try b.open(old) }, throws: { ($0 as? LinkProtocolError)?.code == .staleKey })
        let fresh = try a.seal(LinkPayload(firstSequence: 1, messages: [reading(1)]))
        #expect(try b.open(fresh) == .payload(LinkPayload(firstSequence: 1, messages: [reading(1)])))
    }

    @Test func reflectedOwnFramesAreRefused() throws {
        var (a, b) = try connectedPair()
        let frame = try a.seal(LinkPayload(firstSequence: 1, messages: [reading(1)]))
        #expect(performing: { try a.open(frame) }, throws: { ($0 as? LinkProtocolError)?.code == .wrongSender })
        #expect(performing: { try a.open(a.hello()) }, throws: { ($0 as? LinkProtocolError)?.code == .wrongSender })
        _ = try b.open(frame)
    }

    @Test func helloWithoutThePreSharedKeyIsRefused() throws {
        var b = LinkSession(linkID: linkID, side: .b, preSharedKey: preSharedKey)
        var stranger = LinkSession(linkID: linkID, side: .a, preSharedKey: Secret())
        #expect(performing: { try b.open(stranger.rekey()) }, throws: {
            ($0 as? LinkProtocolError)?.code == .authenticationFailed
        })
        var otherLink = LinkSession(linkID: OpaqueID(), side: .a, preSharedKey: preSharedKey)
        #expect(performing: { try b.open(otherLink.rekey()) }, throws: {
            ($0 as? LinkProtocolError)?.code == .authenticationFailed
        })
        #expect(!b.isUp)
    }

    @Test func replayedHelloCannotBringUpOrDisturbANewSession() throws {
        var (a, b) = try connectedPair()
        let oldHelloOfA = a.hello()
        // B restarts: fresh key. The replayed hello of A's old session carries no echo of it.
        _ = b.rekey()
        _ = try b.open(oldHelloOfA)
        #expect(!b.isUp)
        #expect(performing: { try b.seal(LinkPayload(firstSequence: 1, messages: [reading(1)])) }, throws: {
            ($0 as? LinkProtocolError)?.code == .notReady
        })
        // The genuine exchange still converges.
        try relay(b.hello(), from: &b, to: &a)
        #expect(a.isUp && b.isUp)
        let frame = try b.seal(LinkPayload(acknowledged: 1))
        #expect(try a.open(frame) == .payload(LinkPayload(acknowledged: 1)))
    }

    @Test func retiredPeerKeyIsNotAcceptedAgain() throws {
        var (a, b) = try connectedPair()
        let oldHelloOfB = b.hello()
        try relay(b.rekey(), from: &b, to: &a)
        #expect(a.isUp && b.isUp)
        // Re-accepting B's old key would restart A's frame counter under keys used before.
        #expect(performing: { try a.open(oldHelloOfB) }, throws: { ($0 as? LinkProtocolError)?.code == .staleKey })
        #expect(a.isUp)
    }

    /// Seen in the end-to-end tests after a ComSat crash and an outage: both halves reconnect
    /// and converge, then MQTT redelivers a hello of A's previous connection. B's reconnect
    /// emptied its retired keys, so B takes the old key, retires A's current one and refuses
    /// every later hello and frame of A — hellos alone never reconcile them. A fresh handshake
    /// (what `LinkHalf` starts after `handshakeStall`) does.
    @Test func aLateHelloOfAnEarlierConnectionStallsUntilAFreshHandshake() throws {
        var (a, b) = try connectedPair()
        let helloOfPreviousConnection = a.hello()
        let freshHelloOfA = a.rekey()
        _ = b.rekey()
        try relay(freshHelloOfA, from: &a, to: &b)
        #expect(a.isUp && b.isUp)

        guard case .hello(let reply) = try b.open(helloOfPreviousConnection) else {
            Issue.record("a hello must be answered as a hello")
            return
        }
        #expect(!b.isUp)
        // A answers B's hello with its current key, which B has retired: stuck.
        if let reply, case .hello(let answer?) = try a.open(reply) {
            #expect(performing: { try b.open(answer) }, throws: { ($0 as? LinkProtocolError)?.code == .staleKey })
        }
        let frame = try a.seal(LinkPayload(firstSequence: 1, messages: [reading(1)]))
        #expect(performing: { try b.open(frame) }, throws: { ($0 as? LinkProtocolError)?.code == .staleKey })
        #expect(!b.isUp)

        try relay(b.rekey(), from: &b, to: &a)
        #expect(a.isUp && b.isUp)
        let resent = try a.seal(LinkPayload(firstSequence: 1, messages: [reading(1)]))
        #expect(try b.open(resent) == .payload(LinkPayload(firstSequence: 1, messages: [reading(1)])))
    }

    /// Seen in CI after a ComSat crash and an outage (debug logs of both halves): B answered
    /// A's hello, then reconnected (fresh key) before its MQTT client had the answer
    /// acknowledged, so the client sent that answer again after the reconnect, late. A takes
    /// the old key (A's own reconnect emptied its retired keys) and, since the late answer
    /// echoes A's current key, counts itself confirmed; B's next hello then carries a key A
    /// retired. Both halves are up with different keys: every frame of A fails B's
    /// authentication and neither sends a hello again. `LinkHalf` starts a fresh handshake
    /// after repeated authentication failures, which settles it; hellos also go out at QoS 0
    /// now, so an MQTT client never redelivers one late.
    @Test func aLateAnswerOfThePeersPreviousKeyLeavesBothUpWithDifferentKeysUntilAFreshHandshake() throws {
        var a = LinkSession(linkID: linkID, side: .a, preSharedKey: preSharedKey)
        var b = LinkSession(linkID: linkID, side: .b, preSharedKey: preSharedKey)
        // A reconnects: fresh key, hello. B (still on its previous key) answers.
        let helloOfA = a.rekey()
        guard case .hello(let lateAnswer?) = try b.open(helloOfA) else {
            Issue.record("B must answer a new key")
            return
        }
        // B reconnects before that answer was acknowledged; the genuine exchange settles.
        try relay(b.rekey(), from: &b, to: &a)
        #expect(a.isUp && b.isUp)
        // The answer of B's previous key arrives now.
        guard case .hello(let reply) = try a.open(lateAnswer) else {
            Issue.record("a hello must be answered as a hello")
            return
        }
        #expect(a.isUp, "the late answer echoes A's current key")
        if let reply, case .hello(let answer?) = try b.open(reply) {
            #expect(performing: { try a.open(answer) }, throws: { ($0 as? LinkProtocolError)?.code == .staleKey })
        }
        #expect(a.isUp && b.isUp)
        let frame = try a.seal(LinkPayload(firstSequence: 1, messages: [reading(1)]))
        #expect(performing: { try b.open(frame) }, throws: { ($0 as? LinkProtocolError)?.code == .authenticationFailed })

        try relay(b.rekey(), from: &b, to: &a)
        #expect(a.isUp && b.isUp)
        let resent = try a.seal(LinkPayload(firstSequence: 1, messages: [reading(1)]))
        #expect(try b.open(resent) == .payload(LinkPayload(firstSequence: 1, messages: [reading(1)])))
    }

    @Test func payloadCodecIsStrict() throws {
        let payload = LinkPayload(acknowledged: 9, floor: 3, firstSequence: 5, messages: [reading(5), reading(6)])
        let bytes = try payload.encoded()
        #expect(try LinkPayload(decoding: bytes) == payload)
        #expect(throws: LinkProtocolError.self) { try LinkPayload(decoding: bytes + [0]) }
        #expect(throws: LinkProtocolError.self) { try LinkPayload(decoding: Array(bytes.dropLast())) }
        #expect(throws: LinkProtocolError.self) { try LinkPayload(decoding: []) }
        // Records out of order (data before ack).
        let data = try LinkPayload(firstSequence: 1, messages: [reading(1)]).encoded()
        let ack = try LinkPayload(acknowledged: 1).encoded()
        #expect(throws: LinkProtocolError.self) { try LinkPayload(decoding: data + ack) }
        // A non-minimal length (0x80 0x00 for zero).
        #expect(throws: LinkProtocolError.self) {
            try LinkPayload(decoding: [0x03, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 7, 0x80, 0x00])
        }
    }

    /// The frame overhead the benchmark numbers are built from.
    @Test func sealedFrameSizes() throws {
        var (a, _) = try connectedPair()
        let reading = LinkMessage(channel: 1, payload: [UInt8](repeating: 0x42, count: 32))
        let single = try a.seal(LinkPayload(firstSequence: 1, messages: [reading]))
        #expect(single.count == 14 + 11 + 35 + 16)
        let batch = try a.seal(LinkPayload(firstSequence: 2, messages: Array(repeating: reading, count: 100)))
        #expect(batch.count == 14 + 11 + 100 * 35 + 16)
        #expect(a.hello().count == 83)
    }
}
