internal import Foundation

extension ComSatRecord {
    /// The PEM of the CA that signed this ComSat's certificate, read from `caFile`, which the
    /// controller hands to agents and link halves so they can verify the ComSat; nil for a
    /// ComSat without TLS.
    /// - Throws: `.fileUnreadable` when the file is missing, unreadable or empty.
    func certificateAuthorityPEM() throws(ControllerError) -> String? {
        guard let path = caFile else { return nil }
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
            throw ControllerError(.fileUnreadable, "cannot read the CA file of ComSat '\(name)'", path: path)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
