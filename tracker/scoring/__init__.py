"""督考合一: unit scores computed from the audit trail, under versioned rules, published as snapshots."""
