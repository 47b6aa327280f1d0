package mcapread

import "testing"

func TestWarningLog(t *testing.T) {
	l := WarningLog{File: "a.mcap"}
	i := l.Add(10, "/x", 3, "chunk %d skipped", 1)
	if j := l.Add(10, "/x", 3, "chunk %d skipped", 1); j != -1 {
		t.Errorf("a repeat got index %d, want -1", j)
	}
	k := l.Add(20, "", Unknown, "cut")
	l.Stopped(k)
	l.LostRange(i, 5, 9)
	l.Stopped(-1)
	l.LostRange(-1, 1, 2)
	got := l.List()
	if len(got) != 2 || got[0].File != "a.mcap" || got[0].Msg != "chunk 1 skipped" || got[0].LostMessages != 3 ||
		got[0].LostStart != 5 || got[0].LostEnd != 9 || got[0].Stopped || !got[1].Stopped || got[1].Offset != 20 {
		t.Errorf("warnings %+v", got)
	}
	got[0].Msg = "changed"
	if l.List()[0].Msg != "chunk 1 skipped" {
		t.Error("List returned the log's own slice")
	}
}
