/// Constants of the ComSat control protocol shared by the controller and the plugin.
public enum ComSatProtocol {
    /// Version byte at the start of every request and response body.
    public static let version: UInt8 = 1
    /// Most items (grants or usernames) in one command.
    public static let maximumItems = 100_000
    /// Largest encoded grant accepted inside a command.
    public static let maximumGrantLength = 8 * 1024
    /// Most entries returned by one `list` page.
    public static let maximumListPage = 1_000
}
