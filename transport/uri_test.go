package transport_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/transport"
)

const (
	appID  = "0c7a8f2e-1b3d-4e5f-9a6b-7c8d9e0f1a2b"
	confID = "5f4e3d2c-1b0a-4987-8654-3210fedcba98"
)

func TestParseConferenceURIValid(t *testing.T) {
	for _, in := range []string{
		"https://api.mind.com/" + appID + "/" + confID,
		"https://api.mind.com/" + appID + "/" + confID + "/",
		"http://127.0.0.1:8080/" + appID + "/" + confID,
		"http://[::1]:8080/" + appID + "/" + confID,
	} {
		t.Run(in, func(t *testing.T) {
			u, err := transport.ParseConferenceURI(in)
			require.NoError(t, err)
			assert.Equal(t, appID, u.ApplicationID)
			assert.Equal(t, confID, u.ConferenceID)
			assert.Equal(t, strings.TrimSuffix(in, "/"), u.Base)
			assert.Equal(t, u.Base+"/", u.URL("/"))
			assert.Equal(t, u.Base+"/participants/x", u.URL("/participants/x"))
		})
	}
}

func TestParseConferenceURIMalformed(t *testing.T) {
	for name, in := range map[string]string{
		"empty":            "",
		"ftp":              "ftp://api.mind.com/" + appID + "/" + confID,
		"no scheme":        "api.mind.com/" + appID + "/" + confID,
		"uppercase hex":    "https://api.mind.com/" + strings.ToUpper(appID) + "/" + confID,
		"one segment":      "https://api.mind.com/" + appID,
		"extra segment":    "https://api.mind.com/" + appID + "/" + confID + "/participants",
		"two slashes":      "https://api.mind.com/" + appID + "/" + confID + "//",
		"query":            "https://api.mind.com/" + appID + "/" + confID + "?x=1",
		"fragment":         "https://api.mind.com/" + appID + "/" + confID + "#x",
		"empty authority":  "https:///" + appID + "/" + confID,
		"short uuid":       "https://api.mind.com/" + appID[:35] + "/" + confID,
		"no dashes":        "https://api.mind.com/" + strings.ReplaceAll(appID, "-", "0") + "/" + confID,
		"non hex":          "https://api.mind.com/" + "g" + appID[1:] + "/" + confID,
		"uppercase scheme": "HTTPS://api.mind.com/" + appID + "/" + confID,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := transport.ParseConferenceURI(in)
			require.ErrorIs(t, err, transport.ErrMalformedURI)
		})
	}
}

func TestDerivedURLs(t *testing.T) {
	u, err := transport.ParseConferenceURI("https://api.mind.com/" + appID + "/" + confID + "/")
	require.NoError(t, err)
	assert.Equal(t, "wss://api.mind.com/"+appID+"/"+confID+"/", u.WebSocketURL())
	assert.Equal(t, "https://api.mind.com", u.Origin)
	assert.Equal(t, u.Base+"/recording?access_token=a%2Bb%26c%3D", u.RecordingURL("a+b&c="))
	h, err := transport.ParseConferenceURI("http://127.0.0.1:9/" + appID + "/" + confID)
	require.NoError(t, err)
	assert.Equal(t, "ws://127.0.0.1:9/"+appID+"/"+confID+"/", h.WebSocketURL())
}
