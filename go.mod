module github.com/stopline/stopline

go 1.26

require (
	github.com/abema/go-mp4 v1.4.1
	github.com/bluenviron/mediacommon/v2 v2.4.1
)

require github.com/google/uuid v1.6.0 // indirect
