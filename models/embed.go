package models

import "embed"

// embedded is this folder as the binary carries it, so that an edge box
// needs no model files on disk. Only the manifest and the model folders
// are embedded; a file added to a folder is carried but never read unless
// the manifest lists it.
//
//go:embed manifest.yaml yolo-fastest-1.1 yolox-nano
var embedded embed.FS
