package configurationprofiles

// Parse decodes a profile stub into a record, for the fuzz target.
func Parse(data []byte) (*Profile, error) {
	stub, err := parse(data)
	if err != nil {
		return nil, err
	}
	return newProfile(stub, Domain+"/Library/ConfigurationProfiles/profile-x.stub", Domain, "Library/ConfigurationProfiles/profile-x.stub", "0"), nil
}
