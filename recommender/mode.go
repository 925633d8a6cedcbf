package recommender

import "fmt"

// Mode says what pacer may do for a workload.
type Mode string

// Modes, from doing nothing to acting.
const (
	// ModeOff: reported only; pacer writes nothing for the workload.
	ModeOff Mode = "off"
	// ModeRecommend: pacer writes its recommendation where others act on it
	// (the status of a VPA that names pacer) and serves it (external
	// metrics), but changes no object's spec.
	ModeRecommend Mode = "recommend"
	// ModeApply: pacer also changes specs: an opted-in HPA's targets and,
	// in direct mode, the workload's requests, limits and Go settings.
	ModeApply Mode = "apply"
)

// ModeAnnotation on a workload (or an HPA) sets its mode, whatever its policy says.
const ModeAnnotation = "pacer.dev/mode"

// ParseMode reads a mode.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeOff, ModeRecommend, ModeApply:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want off, recommend or apply", s)
}
