/// The compiler's version, printed by `--version` and in generated headers.
public enum Version {
  public static let current = "0.1.0"
}
