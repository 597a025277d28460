#include "tests/support/ws_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace cdp::testing {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct WsClient::Rep {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
};

WsClient::WsClient(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

WsClient::~WsClient() {
  beast::error_code ec;
  if (rep_->ws.is_open()) rep_->ws.close(websocket::close_code::normal, ec);
}

Result<std::unique_ptr<WsClient>> WsClient::Connect(
    std::uint16_t port, std::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  auto rep = std::make_unique<Rep>();
  beast::error_code ec;
  rep->ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return IoError("connect: " + ec.message());
  // A test must fail, not hang, when the server stops answering.
  timeval timeout{20, 0};
  ::setsockopt(rep->ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
               sizeof(timeout));
  rep->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  websocket::response_type response;
  rep->ws.handshake(response, "127.0.0.1", std::string(target), ec);
  if (ec) {
    return UnavailableError("upgrade refused: " + std::to_string(response.result_int()) + " " +
                            response.body());
  }
  return std::unique_ptr<WsClient>(new WsClient(std::move(rep)));
}

Status WsClient::Send(std::string_view text) {
  beast::error_code ec;
  rep_->ws.text(true);
  rep_->ws.write(net::buffer(text.data(), text.size()), ec);
  if (ec) return IoError("write: " + ec.message());
  return Status::Ok();
}

Result<std::string> WsClient::Read() {
  beast::error_code ec;
  rep_->buffer.consume(rep_->buffer.size());
  rep_->ws.read(rep_->buffer, ec);
  if (ec) return UnavailableError("read: " + ec.message());
  return beast::buffers_to_string(rep_->buffer.data());
}

int WsClient::close_code() const { return static_cast<int>(rep_->ws.reason().code); }

}  // namespace cdp::testing
