export { type ChatMessage, type ChatServer, type ChatServerOptions, createChatServer, roomTopic } from './chat-server.js';
export {
  ANONYMOUS,
  CHAT_DEFAULTS,
  type ChatLimits,
  type JoinVerdict,
  type Member,
  memberNameProblem,
  parseJoin,
  roomNameProblem,
} from './limits.js';
