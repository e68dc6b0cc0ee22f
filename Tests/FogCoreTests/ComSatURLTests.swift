import FogCore
import Testing

@Suite struct ComSatURLTests {
    @Test func parsesSchemesHostsAndPorts() throws {
        let tls = try ComSatURL(parsing: "mqtts://comsat-1.example.org:8884")
        #expect(tls == ComSatURL(usesTLS: true, host: "comsat-1.example.org", port: 8884))
        #expect(try ComSatURL(parsing: "mqtt://127.0.0.1") == ComSatURL(usesTLS: false, host: "127.0.0.1", port: 1883))
        #expect(try ComSatURL(parsing: "mqtts://host").port == 8883)
        let v6 = try ComSatURL(parsing: "mqtts://[::1]:9000")
        #expect(v6.host == "::1")
        #expect(v6.description == "mqtts://[::1]:9000")
    }

    @Test(arguments: [
        "https://host:8883", "MQTTS://host:1", "mqtts://", "mqtts://host:", "mqtts://host:0", "mqtts://host:65536",
        "mqtts://host:08883", "mqtts://user@host:8883", "mqtts://host:8883/path", "mqtts://host:8883?x=1",
        "mqtts://host:88a3", "mqtts://ho st:1", "mqtts://::1:8883", "mqtts://[::1", "mqtts://-host:1", "mqtts://a..b:1",
    ])
    func rejectsAnythingElse(_ text: String) {
        #expect {
            try ComSatURL(parsing: text)
        } throws: { error in
            (error as? ComSatURLError)?.text == text && "\(error)".contains(text)
        }
    }
}
