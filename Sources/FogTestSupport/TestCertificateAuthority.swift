import Crypto
import Foundation
import Glibc
import SwiftASN1
import X509

/// A throwaway certificate authority made in the test, for TLS brokers and client certificates.
///
/// Keys are P-256 ECDSA: every OpenSSL 3 build Mosquitto links accepts them, unlike Ed25519
/// in some TLS configurations. Certificates are valid from an hour ago (tolerates clock skew
/// between test and broker) for two days. Key files are written 0600, as a real deployment
/// must; Mosquitto refuses nothing here, but a test that copies the layout should copy that.
public struct TestCertificateAuthority: Sendable {
    /// The CA's self-signed certificate, PEM.
    public let certificatePEM: String
    private let certificate: Certificate
    private let privateKey: P256.Signing.PrivateKey

    public init(commonName: String = "FogFabric Test CA") throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let (notBefore, notAfter) = Self.validity()
        do {
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            }
            certificate = try Certificate(
                version: .v3,
                serialNumber: .init(),
                publicKey: publicKey,
                notValidBefore: notBefore,
                notValidAfter: notAfter,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: .init(key))
            certificatePEM = try certificate.serializeAsPEM().pemString
        } catch {
            throw TestSupportError(.certificate, "cannot create CA certificate \"\(commonName)\": \(error)")
        }
        privateKey = key
    }

    /// Writes `ca.crt`, `server.crt` and `server.key` (0600) for a broker reachable at
    /// `hosts` (IP addresses become IP SANs, the rest DNS SANs).
    public func writeServerFiles(
        to directory: String,
        hosts: [String] = ["127.0.0.1", "localhost"]
    ) throws -> TLSFiles {
        try writeFiles(
            to: directory, baseName: "server", commonName: hosts.first ?? "localhost",
            usage: .serverAuth, subjectAlternativeNames: hosts.map(Self.generalName))
    }

    /// Writes `ca.crt`, `<baseName>.crt` and `<baseName>.key` (0600) for a client whose
    /// certificate subject is `commonName` (Mosquitto's `use_identity_as_username` reads it).
    public func writeClientFiles(
        to directory: String,
        commonName: String,
        baseName: String = "client"
    ) throws -> TLSFiles {
        try writeFiles(
            to: directory, baseName: baseName, commonName: commonName,
            usage: .clientAuth, subjectAlternativeNames: [])
    }

    /// Writes just this CA's certificate as `<directory>/<name>` and returns the path.
    public func writeCertificate(to directory: String, name: String = "ca.crt") throws -> String {
        let path = directory + "/" + name
        try TextFile.write(certificatePEM, to: path)
        return path
    }

    private func writeFiles(
        to directory: String,
        baseName: String,
        commonName: String,
        usage: ExtendedKeyUsage.Usage,
        subjectAlternativeNames: [GeneralName]
    ) throws -> TLSFiles {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let (notBefore, notAfter) = Self.validity()
        let pem: String
        do {
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                try ExtendedKeyUsage([usage])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier)
                if !subjectAlternativeNames.isEmpty {
                    SubjectAlternativeNames(subjectAlternativeNames)
                }
            }
            let issued = try Certificate(
                version: .v3,
                serialNumber: .init(),
                publicKey: publicKey,
                notValidBefore: notBefore,
                notValidAfter: notAfter,
                issuer: certificate.subject,
                subject: try DistinguishedName { CommonName(commonName) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: .init(privateKey))
            pem = try issued.serializeAsPEM().pemString
        } catch {
            throw TestSupportError(.certificate, "cannot issue certificate for \"\(commonName)\": \(error)")
        }
        let files = TLSFiles(
            caFile: directory + "/ca.crt",
            certFile: directory + "/\(baseName).crt",
            keyFile: directory + "/\(baseName).key")
        try TextFile.write(certificatePEM, to: files.caFile)
        try TextFile.write(pem, to: files.certFile)
        try TextFile.write(key.pemRepresentation, to: files.keyFile, permissions: 0o600)
        return files
    }

    private static func validity() -> (Date, Date) {
        let now = Date()
        return (now.addingTimeInterval(-3600), now.addingTimeInterval(2 * 86400))
    }

    private static func generalName(_ host: String) -> GeneralName {
        var ipv4 = in_addr()
        if inet_pton(AF_INET, host, &ipv4) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: ipv4) { ArraySlice($0) }))
        }
        var ipv6 = in6_addr()
        if inet_pton(AF_INET6, host, &ipv6) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: ipv6) { ArraySlice($0) }))
        }
        return .dnsName(host)
    }
}
