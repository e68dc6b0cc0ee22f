import FogCore

/// One of every agent command and reply, with every optional field both present and absent.
enum AgentMessageSamples {
    static let linkID = OpaqueID()

    static var assignment: LinkHalfAssignment {
        LinkHalfAssignment(
            linkID: linkID, side: .b, comsatURL: "mqtts://10.0.0.5:8883",
            certificateAuthorityPEM: "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
            publishTopic: "l/direction-b", subscribeTopic: "l/direction-a", username: "link-half-b",
            clientID: "link-half-b-client", preSharedKey: Secret(bytes: (0..<32).map { UInt8($0) })!,
            routes: [
                LinkRoute(channel: 1, direction: .outbound, localTopic: "sensor/out"),
                LinkRoute(channel: 2, direction: .inbound, localTopic: "display/in/ünïcode"),
            ])
    }

    static var commands: [AgentCommand] {
        var bare = assignment
        bare.certificateAuthorityPEM = nil
        bare.routes = []
        return [
            .deployMicroservice(
                MicroserviceSpec(
                    name: "sensor", executablePath: "/usr/local/bin/sensor", arguments: ["--rate", "10", ""],
                    environment: ["MODE": "fast", "A": ""], configuration: Array(#"{"threshold": 3.5}"#.utf8))),
            .deployMicroservice(MicroserviceSpec(name: "x", executablePath: "/bin/true")),
            .removeMicroservice(name: "sensor"),
            .assignLinkHalf(assignment),
            .assignLinkHalf(bare),
            .stopAndWipeLinkHalf(linkID: linkID, side: .a),
            .ping,
            .setLinkRoutes(linkID: linkID, side: .b, routes: assignment.routes),
            .setLinkRoutes(linkID: linkID, side: .a, routes: []),
        ]
    }

    static var replies: [AgentReply] {
        [
            .acknowledgement(AgentAcknowledgement(sequence: 1, result: .applied)),
            .acknowledgement(AgentAcknowledgement(sequence: .max, result: .failed(reason: "no such file: /bin/nope"))),
            .acknowledgement(AgentAcknowledgement(sequence: 7, result: .alreadyApplied)),
            .status(AgentStatus(lastAppliedSequence: 0)),
            .status(
                AgentStatus(
                    lastAppliedSequence: 42,
                    microservices: [
                        .init(name: "sensor", state: .running, restarts: 0),
                        .init(name: "consumer", state: .backingOff, restarts: 3),
                    ],
                    linkHalves: [
                        .init(linkID: linkID, side: .a, state: .up, queuedMessages: 12, queuedBytes: 4_096)
                    ])),
            .linkSecret(LinkSecretReport(linkID: linkID, side: .b, secretHash: Secret().hash)),
        ]
    }
}
