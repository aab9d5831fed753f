# Multi-stage build of the three production binaries. The embedded
# development servers (FerretDB, kfake, the bKash sandbox) are not linked in.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/kalyan-api ./api \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/kalyan-worker ./worker \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/kalyan-operator ./operator

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
ENV KALYAN_HTTP_ADDR=0.0.0.0:8080 KALYAN_WORKER_ADDR=0.0.0.0:8081
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/kalyan-api"]
