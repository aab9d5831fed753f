package donorweb

import (
	"cmp"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// The home page lists the units that take gifts. With the whole registry
// (538 units) one list would blow the page budget on a 2G phone, so past
// homeListAll units it shows the large hospitals and a list of divisions,
// and a search; a division or a search lists at most homeListMax units.
const (
	homeListAll = 60
	homeListMax = 100
)

type unitLink struct{ Name, Href, Place string }

type unitGroup struct {
	Title string
	Units []unitLink
}

type homeView struct {
	Q, ZakatParam, ZakatNote string
	ResultNote               string
	Groups                   []unitGroup
	Divisions                []webkit.Link
	AllURL                   string
}

var levelOrder = map[units.Level]int{units.MedicalCollege: 0, units.Specialised: 1, units.District: 2, units.Upazila: 3}

func (h *handlers) home(c *fiber.Ctx) error {
	us, err := h.Units.Store.List(c.UserContext())
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	active := make([]units.Unit, 0, len(us))
	for _, u := range us {
		if u.Status == units.Active {
			active = append(active, u)
		}
	}
	slices.SortFunc(active, func(a, b units.Unit) int {
		return cmp.Or(cmp.Compare(levelOrder[a.Level], levelOrder[b.Level]), strings.Compare(webkit.UnitName(l, &a), webkit.UnitName(l, &b)))
	})

	v := &homeView{Q: strings.TrimSpace(c.Query("q"))}
	// A zakat figure from the calculator travels with the donor to the
	// unit they choose.
	unitQuery := ""
	if a, err := money.Parse(i18n.NormalizeNumber(c.Query("zakat"))); err == nil && a > 0 {
		v.ZakatParam = plainAmount(a)
		v.ZakatNote = l.F("home.zakat-note", l.Money(a))
		unitQuery = "?" + url.Values{"amount": {v.ZakatParam}, "kind": {"zakat"}}.Encode()
	}
	linkOf := func(u *units.Unit) unitLink {
		place := l.District(u.District)
		if u.Upazila != "" && l == i18n.EN {
			place = u.Upazila + ", " + place
		}
		return unitLink{Name: webkit.UnitName(l, u), Href: "/d/" + url.PathEscape(u.Code) + unitQuery, Place: place}
	}
	homeURL := func(q url.Values) string {
		if v.ZakatParam != "" {
			q.Set("zakat", v.ZakatParam)
		}
		if len(q) == 0 {
			return "/"
		}
		return "/?" + q.Encode()
	}

	div := c.Query("division")
	switch {
	case v.Q != "" || div != "":
		var found []unitLink
		for i := range active {
			u := &active[i]
			if (div == "" || u.Division == div) && (v.Q == "" || matchUnit(u, v.Q)) {
				found = append(found, linkOf(u))
			}
		}
		switch {
		case len(found) == 0:
			v.ResultNote = l.T("home.none")
		case len(found) > homeListMax:
			v.ResultNote = l.F("home.found-more", l.Num(int64(len(found))), l.Num(homeListMax))
			found = found[:homeListMax]
		default:
			v.ResultNote = l.F("home.found", l.Num(int64(len(found))))
		}
		title := l.T("home.results")
		if div != "" && v.Q == "" {
			title = l.F("home.division", l.Division(div))
		}
		if len(found) > 0 {
			v.Groups = []unitGroup{{Title: title, Units: found}}
		}
		v.AllURL = homeURL(url.Values{})
	case len(active) <= homeListAll:
		byDiv := map[string]int{}
		for i := range active {
			u := &active[i]
			gi, ok := byDiv[u.Division]
			if !ok {
				gi = len(v.Groups)
				byDiv[u.Division] = gi
				v.Groups = append(v.Groups, unitGroup{Title: l.F("home.division", l.Division(u.Division))})
			}
			v.Groups[gi].Units = append(v.Groups[gi].Units, linkOf(u))
		}
	default:
		big := unitGroup{Title: l.T("home.major")}
		counts := map[string]int{}
		for i := range active {
			u := &active[i]
			counts[u.Division]++
			if u.Level == units.MedicalCollege || u.Level == units.Specialised {
				big.Units = append(big.Units, linkOf(u))
			}
		}
		if len(big.Units) > 0 {
			v.Groups = []unitGroup{big}
		}
		divs := make([]string, 0, len(counts))
		for d := range counts {
			divs = append(divs, d)
		}
		slices.SortFunc(divs, func(a, b string) int { return strings.Compare(l.Division(a), l.Division(b)) })
		for _, d := range divs {
			v.Divisions = append(v.Divisions, webkit.Link{
				Label: l.F("home.division-count", l.Division(d), l.Num(int64(counts[d]))),
				Href:  homeURL(url.Values{"division": {d}}),
			})
		}
	}
	return pages.Render(c, fiber.StatusOK, "home", webkit.NewPage(c, l, l.T("home.title"), v))
}

// matchUnit reports whether a search for q finds u: by either name, the
// code, the district or the upazila, in either language, ignoring case.
func matchUnit(u *units.Unit, q string) bool {
	q = strings.ToLower(q)
	for _, s := range []string{u.Names.EN, u.Names.BN, u.Code, u.District, u.Upazila, u.Division,
		i18n.BN.District(u.District), i18n.BN.Division(u.Division)} {
		if s != "" && strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}
