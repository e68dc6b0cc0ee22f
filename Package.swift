// swift-tools-version:6.1
// FogFabric: a secure MQTT messaging fabric for edge computing.
// Module layout (see docs/ARCHITECTURE.md):
//   CMosquitto, CMosquittoBroker  C fences around libmosquitto and the broker plugin headers
//   FogCore                       identities, keys, envelopes, codecs: no I/O, no MQTT
//   FogMQTT                       MQTT v5 client over libmosquitto; the only importer of CMosquitto
//   ComSatPlugin                  the Mosquitto plugin, shipped as the dynamic product "comsat"
//   FogController, FogAgent       controller and agent
//   FogLink                       the link half: handshake, frames, durable queue and receive cursor
//   FogSystem                     POSIX: child processes, owner-only atomic files, positional file I/O
//   FogTestSupport                real brokers and child processes for tests and benchmarks
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "FogFabric",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "comsat", type: .dynamic, targets: ["ComSatPlugin"]),
        .library(name: "FogCore", targets: ["FogCore"]),
        .library(name: "FogMQTT", targets: ["FogMQTT"]),
        .executable(name: "fog-controller", targets: ["fog-controller"]),
        .executable(name: "fog-agent", targets: ["fog-agent"]),
        .executable(name: "fog-link", targets: ["fog-link"]),
        .executable(name: "fogctl", targets: ["fogctl"]),
        .executable(name: "fog-bench", targets: ["fog-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: C fences
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        .target(
            name: "CMosquittoBroker",
            cSettings: [.define("_GNU_SOURCE")]
        ),

        // MARK: Libraries
        .target(
            name: "FogCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FogMQTT",
            dependencies: [
                "CMosquitto", "FogCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ComSatPlugin",
            dependencies: ["CMosquittoBroker", "FogCore", "FogSystem"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FogController",
            dependencies: [
                "FogCore", "FogMQTT", "FogSystem",
                // Seals queued agent commands at rest (ChaCha20-Poly1305, HKDF).
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FogAgent",
            dependencies: [
                "FogCore", "FogMQTT", "FogSystem",
                // PBKDF2-SHA512 password hashes for the local bus's password_file.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FogLink",
            dependencies: [
                "FogCore", "FogMQTT", "FogSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Child processes (posix_spawn, reaping, output pipes) for the agent and the tests.
        .target(
            name: "FogSystem",
            swiftSettings: strictSettings
        ),
        .target(
            name: "FogTestSupport",
            dependencies: [
                "FogCore", "FogSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),

        // Real-process fixtures shared by the controller, agent and link tests: a ComSat with
        // the plugin enrolled in a controller home, provisioning rigs, the controller process.
        .target(
            name: "FogIntegrationSupport",
            dependencies: [
                "FogController", "FogAgent", "FogCore", "FogMQTT", "FogTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "FogBench",
            dependencies: [
                "FogController", "FogAgent", "FogCore", "FogMQTT", "FogTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Executables (thin: parse arguments, call a library)
        .executableTarget(
            name: "fog-controller",
            dependencies: ["FogController", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "fog-agent",
            dependencies: [
                "FogAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "fog-link",
            dependencies: [
                "FogLink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "fogctl",
            dependencies: ["FogController", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),

        .executableTarget(
            name: "fog-bench",
            dependencies: ["FogBench", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),

        // MARK: Tests
        .testTarget(
            name: "FogCoreTests",
            dependencies: ["FogCore", "FogTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FogMQTTTests",
            dependencies: ["FogMQTT", "FogTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ComSatPluginTests",
            dependencies: [
                "ComSatPlugin", "FogCore", "FogMQTT", "FogTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FogControllerTests",
            dependencies: [
                "FogController", "FogAgent", "FogCore", "FogMQTT", "FogTestSupport", "FogIntegrationSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FogSiteTests",
            dependencies: ["FogIntegrationSupport", "FogTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FogAgentTests",
            dependencies: ["FogAgent", "FogCore", "FogTestSupport", "FogIntegrationSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FogLinkTests",
            dependencies: [
                "FogLink", "FogCore", "FogMQTT", "FogController", "FogTestSupport", "FogIntegrationSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
