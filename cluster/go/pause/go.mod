module perses-oci-conformance/cluster/pause

go 1.26.0
