package shell

import "time"

// Volumes is the pod's shared writable volumes (emptyDir,
// persistentVolumeClaim, ephemeral) as one process sees them: what the
// pod's other runs wrote, at the wall time they wrote it.
type Volumes interface {
	// Locate finds the mount holding the absolute path p and the path
	// inside its volume ("" is the volume's root).
	Locate(p string) (m Mount, rel string, ok bool)
	// Mounts are where the process's container mounts the volumes.
	Mounts() []Mount
	// State is what volume vol holds at wall time now, with the process's
	// own changes (own, all of which have happened), by path inside it.
	State(vol string, now time.Time, own []Event) map[string]*File
	// Changes are the other runs' changes to volume vol after `after`
	// and until `until`.
	Changes(vol string, after, until time.Time) []Event
	// GroupOf is the group of a file a process of group gid creates.
	GroupOf(gid int64) int64
	// FSGroup is the pod's fsGroup, if it has one.
	FSGroup() *int64
}

// Mount is where a container mounts one of the pod's writable volumes.
type Mount struct {
	Path    string // clean mount path
	Volume  string
	SubPath string
}

// Event is one change to a volume, at wall time At.
type Event struct {
	At     time.Time
	Volume string
	Rel    string // path inside the volume ("" is its root)
	Op     Op
}

// File is a file or directory of a volume at some time.
type File struct {
	Data     string
	Dir      bool
	UID, GID int64
}

// Bounds on what a simulated process writes, which the simulator keeps
// for the pod's life: a file keeps its last MaxFileBytes (as a rotated
// log would), and a process's writes stop being recorded once they hold
// maxWrittenBytes (a loop that appends forever stops growing its file).
const (
	MaxFileBytes    = 32 << 10
	maxWrittenBytes = 1 << 20
)

// Truncate keeps the last MaxFileBytes of a file's content.
func Truncate(data string) string {
	if len(data) > MaxFileBytes {
		return data[len(data)-MaxFileBytes:]
	}
	return data
}
