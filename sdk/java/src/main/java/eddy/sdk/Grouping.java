package eddy.sdk;

/** How a subscribed stream's records are spread over a computation's instances. */
public enum Grouping {
    /** hash(key) picks the one instance owning the key; keyed state needs this. */
    KEY("key"),
    /** Round robin over the instances. */
    SHUFFLE("shuffle"),
    /** Every instance gets every record. */
    BROADCAST("broadcast");

    private final String manifestName;

    Grouping(String manifestName) {
        this.manifestName = manifestName;
    }

    /** "key", "shuffle" or "broadcast": the name manifests and the metadata JSON use. */
    public String manifestName() {
        return manifestName;
    }
}
