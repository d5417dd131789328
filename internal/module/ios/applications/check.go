package applications

import (
	"fmt"
	"strings"

	"github.com/spytrace/spytrace/internal/alert"
	"github.com/spytrace/spytrace/internal/check"
)

// NotFromAppStore is raised for an app whose installer is neither the App Store nor
// device management, nor one of the Apple and EU channels the other heuristics explain.
var NotFromAppStore = check.Heuristic{
	ID:    "applications/not-from-app-store",
	Level: alert.Medium,
	Meaning: "The App Store's record of this app names an installer that is neither the App Store nor device management (MDM): " +
		"the app reached the phone some other way, for example through an enterprise or developer certificate, a sideloading tool " +
		"or a distribution channel spytrace does not know. Spyware and stalkerware that Apple would not accept in the App Store " +
		"are installed this way, usually by someone holding the unlocked phone or by talking its owner into installing it.",
	FalsePositive: "Employers distribute in-house apps outside the App Store, and some legitimate install paths record other " +
		"installers: MVT users met this on iMessage apps and on apps copied from a computer, and Apple adds new install " +
		"services over time. Web distribution in the EU (iOS 17.5 and later) may record the browser.",
	Advice: "Ask the owner whether they know the app, its developer and how it was installed. Look the bundle identifier up. " +
		"Check Settings > General > VPN & Device Management for enterprise developer certificates and profiles, and look at the " +
		"timeline around the install date for configuration profiles and new processes.",
}

// TestFlight is raised for an app installed through TestFlight.
var TestFlight = check.Heuristic{
	ID:    "applications/testflight",
	Level: alert.Low,
	Meaning: "The app was installed through TestFlight, Apple's channel for beta versions: its developer invited the owner, " +
		"by e-mail or through a public link, to test a pre-release build. Builds shared this way get a lighter review than " +
		"App Store releases, and an invitation link can be sent by anyone who controls a developer account.",
	FalsePositive: "Testing beta versions of well-known apps is common and harmless.",
	Advice:        "Check that the owner joined this beta themselves and recognises the developer; if not, remove the app and the TestFlight invitation.",
}

// ComputerSync is raised for an app whose installer is iOS's sync service.
var ComputerSync = check.Heuristic{
	ID:    "applications/computer-sync",
	Level: alert.Low,
	Meaning: "The app's installer is recorded as com.apple.datausage.atc, which appears to be iOS's sync service (AirTraffic): " +
		"the app was copied from a computer (iTunes, Finder, Apple Configurator) rather than downloaded on the phone. MVT reports " +
		"such apps as not installed from the App Store.",
	FalsePositive: "The value has been reported on apps bought in the App Store and synced from a computer, which older iTunes " +
		"versions and device-management setups did routinely; a purchase record (com.apple.iTunesStore.downloadInfo with an " +
		"Apple ID) points that way.",
	Advice: "Check whether the app carries a purchase record and whether the owner synced the phone with a computer around the " +
		"install date; ask who had access to that computer if the app is unknown to them.",
}

// AlternativeMarketplace is raised for an app installed from an EU alternative
// marketplace.
var AlternativeMarketplace = check.Heuristic{
	ID:    "applications/alternative-marketplace",
	Level: alert.Low,
	Meaning: "The app was installed from an alternative app marketplace. Since iOS 17.4 Apple allows such marketplaces for " +
		"users in the European Union (Digital Markets Act). Their apps pass Apple's notarization (automated checks and a basic " +
		"review) but not full App Store review, so they are less vetted than App Store apps.",
	FalsePositive: "Installing apps from an approved marketplace is legitimate in the EU; this is informational unless the owner " +
		"does not recognise the marketplace or the app.",
	Advice: "Check that the owner installed the marketplace and this app themselves and knows the developer; remove what they do not recognise.",
}

// marketplaces are EU alternative marketplaces, by the bundle-identifier prefix of the
// installer (see the package comment for what is confirmed).
var marketplaces = []struct{ prefix, name string }{
	{"com.rileytestut.AltStore", "AltStore PAL"},
	{"com.epicgames.", "the Epic Games Store"},
	{"com.setapp.", "Setapp Mobile"},
	{"com.aptoide.", "Aptoide"},
	{"com.mobivention.", "the Mobivention App Marketplace"},
}

// appStoreOrMDM are the installers MVT accepts.
var appStoreOrMDM = map[string]bool{
	"com.apple.AppStore":                      true,
	"com.apple.AppStore.ProductPageExtension": true,
	"com.apple.dmd":                           true,
	"dmd":                                     true,
}

type checker struct {
	env *check.Env
}

// Check implements check.Checker.
func (c *checker) Check(v any, r *check.Reporter) {
	app, ok := v.(*App)
	if !ok {
		return
	}
	at := app.Isodate.Time
	where := "the installed app " + app.label()
	var ids []string
	for _, id := range []string{app.BundleID(), app.Name} {
		if id != "" && !contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if !c.env.Process(r, alert.Critical, id, where, at, app) {
			c.env.AppID(r, alert.Critical, id, where, at, app)
		}
	}
	installer(app, r)
}

// installer runs the installer heuristics on sourceApp.
func installer(app *App, r *check.Reporter) {
	source, ok := app.SourceApp()
	if !ok || appStoreOrMDM[source] {
		return
	}
	at := app.Isodate.Time
	on := ""
	if !app.Isodate.IsZero() {
		on = " on " + app.Isodate.String()
	}
	switch source {
	case "com.apple.TestFlight":
		TestFlight.Raise(r, fmt.Sprintf("App %s was installed through TestFlight (Apple's beta channel)%s", app.label(), on), at, app)
		return
	case "com.apple.datausage.atc":
		ComputerSync.Raise(r, fmt.Sprintf("App %s was installed by syncing from a computer (com.apple.datausage.atc)%s", app.label(), on), at, app)
		return
	}
	for _, m := range marketplaces {
		if strings.HasPrefix(source, m.prefix) {
			AlternativeMarketplace.Raise(r, fmt.Sprintf("App %s was installed from %s (%s)%s, an alternative marketplace allowed in the EU: "+
				"legitimate there, but its apps are less vetted than App Store apps", app.label(), m.name, source, on), at, app)
			return
		}
	}
	shown := source
	if shown == "" {
		shown = "an empty or unreadable installer name"
	}
	NotFromAppStore.Raise(r, fmt.Sprintf("Suspicious app not installed from the App Store or MDM: %s, installed by %s%s", app.label(), shown, on), at, app)
}

// Finish implements check.Checker.
func (c *checker) Finish(*check.Reporter) {}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
