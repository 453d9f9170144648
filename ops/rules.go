package ops

import (
	"fmt"
	"strings"

	"github.com/stopline/stopline/detect"
)

// ActiveRule is one rule a camera's scene makes, as `edge check` shows it.
type ActiveRule struct {
	Type   string // a detect.Type* constant
	Detail string // what it watches: lines, lanes, zones, the signal, the limit
}

// ActiveRules are the rules the camera's pipeline will run, in
// detect.RulesFor's order: RulesFor itself decides which scene elements
// make a rule (a lane with no direction makes no wrong-way rule), so this
// cannot drift from what runs. The camera must be valid; nil otherwise.
func (cam *Camera) ActiveRules() []ActiveRule {
	s := cam.Scene
	// The phase source only matters once frames run; any will do here.
	rules, err := detect.RulesFor(s, &detect.PushedPhases{}, cam.PipelineConfig().Rules)
	if err != nil {
		return nil
	}
	var out []ActiveRule
	for _, r := range rules {
		if u, ok := r.(interface{ Unwrap() detect.Rule }); ok {
			r = u.Unwrap()
		}
		switch r.(type) {
		case *detect.WrongWay:
			out = append(out, ActiveRule{detect.TypeWrongWay, "lines " + lineNames(s.Lines)})
		case *detect.LaneWrongWay:
			var ls []string
			for _, l := range s.Lanes {
				if l.Direction != "" {
					ls = append(ls, fmt.Sprintf("%s (%s)", l.Name, l.Direction))
				}
			}
			out = append(out, ActiveRule{detect.TypeWrongWay, "lanes " + strings.Join(ls, ", ")})
		case *detect.RedLight:
			d := "stop line " + s.StopLine.Name + ", signal " + signalSource(s.Signal)
			if s.RedLight != nil && s.RedLight.ConfirmLine != nil {
				d += ", confirm line " + s.RedLight.ConfirmLine.Name
			}
			out = append(out, ActiveRule{detect.TypeRedLight, d})
		case *detect.Speeding:
			d := fmt.Sprintf("limit %g km/h", s.Speed.LimitKmh)
			if s.Speed.ToleranceKmh > 0 {
				d += fmt.Sprintf(" + %g tolerance", s.Speed.ToleranceKmh)
			}
			out = append(out, ActiveRule{detect.TypeSpeeding, d})
		case *detect.IllegalStop:
			var zs []string
			for _, z := range s.Zones {
				maxStop := z.MaxStop
				if maxStop == 0 {
					maxStop = detect.DefaultMaxStop
				}
				zs = append(zs, fmt.Sprintf("%s (%v)", z.Name, maxStop))
			}
			out = append(out, ActiveRule{detect.TypeIllegalStop, "zones " + strings.Join(zs, ", ")})
		case *detect.SolidLine:
			var ls []string
			for _, l := range s.SolidLines {
				ls = append(ls, l.Name)
			}
			out = append(out, ActiveRule{detect.TypeSolidLine, "lines " + strings.Join(ls, ", ")})
		case *detect.RestrictedLane:
			var ls []string
			for _, l := range s.Lanes {
				if len(l.Allowed) > 0 {
					ls = append(ls, fmt.Sprintf("%s (%s only)", l.Name, strings.Join(l.Allowed, ", ")))
				}
			}
			out = append(out, ActiveRule{detect.TypeRestrictedLane, "lanes " + strings.Join(ls, ", ")})
		default:
			out = append(out, ActiveRule{Type: fmt.Sprintf("%T", r)})
		}
	}
	return out
}

func lineNames(ls []detect.Line) string {
	var names []string
	for _, l := range ls {
		names = append(names, fmt.Sprintf("%s (%s)", l.Name, l.Allowed))
	}
	return strings.Join(names, ", ")
}

// signalSource says where a red-light rule's phase comes from.
func signalSource(sig *detect.Signal) string {
	if sig == nil {
		return "none"
	}
	switch sig.Source {
	case detect.SourcePlan:
		if p := sig.Plan; p != nil {
			return fmt.Sprintf("plan (cycle %v, red %v)", p.Cycle, p.Red)
		}
	case detect.SourceRegion:
		if sig.Lamps != nil {
			return "region (lamps)"
		}
		return "region " + sig.ColourRegion().String()
	case detect.SourceHTTP:
		return "http (pushed to POST /signals/<camera>)"
	}
	return sig.Source
}

// Warnings are what is allowed but probably not meant, one line each,
// naming the camera and the field like the errors: a camera that can
// never report a violation, scene elements no rule uses. The
// configuration must be valid.
func (c *Config) Warnings() []string {
	var out []string
	if c.HTTP != "" && c.HTTPAuth == nil && !isLoopback(c.HTTP) {
		out = append(out, fmt.Sprintf("http: %s is reachable from other machines and there is no http_auth: anyone who reaches it sees the cameras, their pictures and the metrics", c.HTTP))
	}
	if c.Plates.On() && c.Plates.Window > c.Output.Clip.PreRoll {
		out = append(out, fmt.Sprintf("plates.window: %v reaches back further than output.clip.pre_roll (%v): plates are read only on the pictures the clip holds",
			c.Plates.Window, c.Output.Clip.PreRoll))
	}
	for i := range c.Cameras {
		cam := &c.Cameras[i]
		name := ItemName("cameras", i, cam.ID)
		if len(cam.ActiveRules()) == 0 {
			out = append(out, name+": scene: no rule can fire (no lines, stop line, lanes, zones, solid lines or speed zone)")
		}
		for j, l := range cam.Scene.Lanes {
			if l.Direction == "" && len(l.Allowed) == 0 {
				out = append(out, fmt.Sprintf("%s: scene.lanes[%d]: neither direction nor allowed_classes: no rule watches it", name, j))
			}
		}
		if cam.Scene.Signal != nil && cam.Scene.StopLine == nil {
			out = append(out, name+": scene.signal: there is no scene.stop_line to judge by it")
		}
	}
	return out
}
