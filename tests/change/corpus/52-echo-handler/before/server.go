package main

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

type note struct {
	ID   int    `json:"id"`
	Text string `json:"text"`
}

var notes = map[int]note{}

func main() {
	e := echo.New()
	e.Use(middleware.Recover())

	api := e.Group("/api")
	api.GET("/notes", listNotes)
	api.GET("/notes/:id", getNote)
	api.POST("/notes", createNote)

	e.Logger.Fatal(e.Start(":1323"))
}

func listNotes(c echo.Context) error {
	out := make([]note, 0, len(notes))
	for _, n := range notes {
		out = append(out, n)
	}
	return c.JSON(http.StatusOK, out)
}

func getNote(c echo.Context) error {
	id, _ := strconv.Atoi(c.Param("id"))
	n, ok := notes[id]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "note not found")
	}
	return c.JSON(http.StatusOK, n)
}

func createNote(c echo.Context) error {
	n := new(note)
	if err := c.Bind(n); err != nil {
		return err
	}
	n.ID = len(notes) + 1
	notes[n.ID] = *n
	return c.JSON(http.StatusCreated, n)
}
