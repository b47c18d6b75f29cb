"""Agency deployables: one generic builder; an agency is the steps it owns across groups."""
