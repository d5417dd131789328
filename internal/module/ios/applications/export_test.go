package applications

// Parse exposes parse to the fuzz target.
var Parse = parse

// SetMaxContainers lowers the bound on bundle containers until the returned function
// is called.
func SetMaxContainers(n int) (restore func()) {
	old := maxContainers
	maxContainers = n
	return func() { maxContainers = old }
}

// ParseBundle reads one bundle container from the contents of its files (nil for a
// file the container lacks), for the fuzz target.
func ParseBundle(containerMD, info, metadata []byte) (*App, []string) {
	c := &container{dir: BundleRoot + "/UUID"}
	files := map[string][]byte{}
	if containerMD != nil {
		c.containerMD = c.dir + "/" + ContainerMetadataFile
		files[c.containerMD] = containerMD
	}
	if info != nil {
		c.infoPlists = []string{c.dir + "/X.app/Info.plist"}
		files[c.infoPlists[0]] = info
	}
	if metadata != nil {
		c.metadata = c.dir + "/" + MetadataFile
		files[c.metadata] = metadata
	}
	return readContainer(c, func(name string) ([]byte, bool) { return files[name], true })
}
